"""Finding incidents. Every lookup here uses an index; none scans the timeline."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.incidents.errors import NotFound
from bot.models import Incident

_REFERENCE = re.compile(r"^(?:inc-?)?(\d+)$", re.IGNORECASE)


def by_channel(session: Session, channel_id: str) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.channel_id == channel_id))


def open_incidents(session: Session, limit: int = 50) -> list[Incident]:
    """Open incidents, most severe first, then newest first."""
    query = (
        select(Incident)
        .where(Incident.status != "resolved")
        .order_by(Incident.severity, Incident.declared_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def count_open(session: Session) -> int:
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.count()).select_from(Incident).where(Incident.status != "resolved")
        )
        or 0
    )


def find(session: Session, reference: str) -> Incident:
    """An incident by ``INC-42``, ``42``, or its channel name (with or without ``#``)."""
    ref = reference.strip()
    if match := _REFERENCE.match(ref):
        incident = session.get(Incident, int(match.group(1)))
    else:
        incident = session.scalar(select(Incident).where(Incident.channel_name == ref.lstrip("#")))
    if incident is None:
        raise NotFound(f"No incident matches {reference!r} (try INC-42, 42 or the channel name).")
    return incident
