"""Writing timeline events: the one way incident history is recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.models import Incident, TimelineEvent, utcnow


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
