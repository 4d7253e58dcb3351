"""Resolving an incident: its status, the time, and the event that says who and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act, Actor, Policy
from bot.store.models import Incident, utcnow

SUMMARY_MAX = 1000


def resolve(
    session: Session,
    incident: Incident,
    *,
    who: Actor,
    policy: Policy,
    summary: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """Mark ``incident`` resolved; the caller commits. Refuses (NotAllowed) unless ``who``
    may resolve it, and one already resolved."""
    policy.check(Act.RESOLVE, incident, who)
    if not incident.is_open:
        at = incident.resolved_at
        since = f" (since {at:%Y-%m-%d %H:%M} UTC)" if at else ""
        raise InvalidInput(f"{incident.reference} is already resolved{since}; nothing changed.")
    text = " ".join((summary or "").split()) or None
    if text and len(text) > SUMMARY_MAX:
        raise InvalidInput(
            f"That resolution summary is {len(text)} characters; keep it to {SUMMARY_MAX}."
        )
    when = now or utcnow()
    incident.status = "resolved"
    incident.resolved_at = when
    timeline.record(
        session,
        incident,
        EventKind.RESOLVED,
        f"Resolved: {text}" if text else "Resolved",
        actor=who.user,
        when=when,
        summary=text,
    )
    return incident
