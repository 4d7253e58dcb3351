"""The timeline's hash chain: one event's SHA-256 over its content and the hash before it.

The content is what an event says happened (its incident, kind, time, actor, text and
data) in one canonical form, so SQLite and PostgreSQL give the same hash for the same
event. ``data``'s ``pinned_by`` (who still keeps a pinned message on the timeline) is
left out: it changes by design while the message stays.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64  # the hash before an incident's first event
MUTABLE = frozenset({"pinned_by"})
# Made once: json.dumps with options builds an encoder on every call.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
).encode


def _when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # as SQLite keeps it, read without the column's type
        if len(value) == 26 and value[10] in " T":  # 2026-12-07 09:10:11.000123, in UTC
            return f"{value[:10]}T{value[11:]}Z"
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # The same as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), at a third of the cost.
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _data(given: dict[str, Any] | str | None) -> str:
    if isinstance(given, str):
        if given == "{}":
            return given
        value: dict[str, Any] = json.loads(given)
    else:
        value = given or {}
    if not value:
        return "{}"
    if MUTABLE.isdisjoint(value):
        return _CANONICAL(value)
    return _CANONICAL({k: v for k, v in value.items() if k not in MUTABLE})


def event_hash(
    previous: str,
    incident_id: int,
    kind: str,
    occurred_at: datetime | str | None,
    actor: str | None,
    text: str | None,
    data: dict[str, Any] | str | None,
) -> str:
    """The event's hash, chained to ``previous`` (``GENESIS`` for the first)."""
    content = "\x1f".join(
        (previous, str(incident_id), kind, _when(occurred_at), actor or "", text or "", _data(data))
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()
