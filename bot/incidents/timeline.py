"""Writing timeline events: the one way incident history is recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Incident, TimelineEvent, utcnow


def has_event(session: Session, incident_id: int, kind: str) -> bool:
    """Whether the incident's timeline holds an event of ``kind``."""
    found = session.scalar(
        select(TimelineEvent.id)
        .where(TimelineEvent.incident_id == incident_id, TimelineEvent.kind == kind)
        .limit(1)
    )
    return found is not None


def record(
    session: Session,
    incident: Incident,
    kind: str,
    text: str,
    *,
    actor: str | None = None,
    when: datetime | None = None,
    **data: Any,
) -> TimelineEvent:
    """Add an event in the caller's transaction, beside the state change it describes."""
    event = TimelineEvent(
        incident_id=incident.id,
        kind=kind,
        text=text,
        actor=actor,
        occurred_at=when or utcnow(),
        data=data,
    )
    session.add(event)
    return event
