"""What one drift data set may cost: read at start-up, so no pandas here."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.net import egress


@dataclass(frozen=True)
class Limits:
    """What one data set may cost (``INCIDENTBOT_DRIFT_*`` and ``INCIDENTBOT_FETCH_*``)."""

    max_bytes: int = 256 * 1024 * 1024  # the data, unpacked
    max_memory: int = 512 * 1024 * 1024  # the loaded table
    max_columns: int = 1000
    fetch_seconds: float = 60.0  # one deadline for a whole fetch
    egress: egress.EgressRule = field(default_factory=egress.EgressRule)
