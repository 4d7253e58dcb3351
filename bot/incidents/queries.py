"""Finding incidents. Every lookup here uses an index; none scans the timeline."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Incident


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
    return (
        session.scalar(
            select(func.count()).select_from(Incident).where(Incident.status != "resolved")
        )
        or 0
    )
