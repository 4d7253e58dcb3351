"""Writing timeline events: the one way incident history is recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.incidents import facts
from bot.models import Incident, TimelineEvent, utcnow

# How each kind of event reads in a list or a document.
LABELS = {
    "declared": "Declared",
    "channel_created": "Channel opened",
    "announced": "Announced",
    "alert_fired": "Alert fired",
    "alert_joined": "Alert joined",
    "alert_refired": "Alert fired again",
    "alert_resolved": "Alert resolved",
    "alerts_all_resolved": "All alerts resolved",
    "role_assigned": "Role",
    "role_handed_over": "Hand-over",
    "severity_changed": "Severity",
    "triage_offered": "Triage",
    "triage_answered": "Triage",
    "triage_note": "Triage note",
    "triage_proposed": "Triage proposal",
    "triage_proposal_accepted": "Proposal accepted",
    "triage_proposal_declined": "Proposal declined",
    "runbook_offered": "Runbook",
    "runbook_item_checked": "Runbook step done",
    "runbook_item_unchecked": "Runbook step undone",
    "status_update": "Status update",
    "update_nudged": "Update nudge",
    "note": "Note",
    "pinned_message": "Pinned message",
    "action_item": "Action item",
    "action_item_done": "Action item done",
    "drift_found": "Drift",
    "key_time_corrected": "Key time corrected",
    "resolved": "Resolved",
    "postmortem_published": "Post-mortem",
    "postmortem_reminded": "Post-mortem reminder",
    "handover_requested": "Hand-over asked",
    "handover_declined": "Hand-over declined",
    "made_private": "Made private",
    "model_card": "Model registry",
    "model_rolled_back": "Rollback",
    "model_rollback_undone": "Rollback undone",
    "containment_run": "Containment",
    "containment_undone": "Containment undone",
}


def label(kind: str) -> str:
    return LABELS.get(kind) or kind.replace("_", " ").capitalize()


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
    facts.absorb(incident, event)
    return event


def record_once(
    session: Session,
    incident: Incident,
    kind: str,
    text: str,
    *,
    dedup_key: str,
    actor: str | None = None,
    when: datetime | None = None,
    **data: Any,
) -> TimelineEvent | None:
    """Add an event unless one with ``dedup_key`` exists; None when it did.

    The unique key decides, not a read beforehand, so two deliveries racing in
    two processes still leave one event. The savepoint keeps the caller's
    transaction usable when the database refuses the second.
    """
    if by_key(session, dedup_key) is not None:
        return None
    try:
        with session.begin_nested():
            event = record(session, incident, kind, text, actor=actor, when=when, **data)
            event.dedup_key = dedup_key
            session.flush()
    except IntegrityError:
        return None
    return event


def by_key(session: Session, dedup_key: str) -> TimelineEvent | None:
    return session.scalar(select(TimelineEvent).where(TimelineEvent.dedup_key == dedup_key))


def events(session: Session, incident_id: int) -> list[TimelineEvent]:
    """The whole timeline, oldest first (ties in insertion order)."""
    return list(
        session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        )
    )


def page(session: Session, incident_id: int, number: int, size: int) -> list[TimelineEvent]:
    """Page ``number`` (from 1) of the timeline, oldest first; by the (incident, time) index."""
    return list(
        session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
            .offset((number - 1) * size)
            .limit(size)
        )
    )


def count(session: Session, incident_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id)
        )
        or 0
    )
