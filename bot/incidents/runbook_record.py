"""Runbooks offered in an incident channel, and the items ticked on them, as timeline events."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.store.models import Incident, TimelineEvent

KINDS = ("runbook_item_checked", "runbook_item_unchecked")


def was_offered(session: Session, incident_id: int, runbook: str) -> bool:
    events = session.scalars(
        select(TimelineEvent.data)
        .where(TimelineEvent.incident_id == incident_id)
        .where(TimelineEvent.kind == EventKind.RUNBOOK_OFFERED)
    )
    return any(data.get("runbook") == runbook for data in events)


def offered(session: Session, incident: Incident, runbook: str, title: str, ts: str) -> None:
    timeline.record(
        session,
        incident,
        EventKind.RUNBOOK_OFFERED,
        f"Runbook offered: {title}",
        runbook=runbook,
        ts=ts,
    )


def ticked(session: Session, incident_id: int, runbook: str) -> set[int]:
    events = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident_id)
        .where(TimelineEvent.kind.in_(KINDS))
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
    )
    done: set[int] = set()
    for event in events:
        if event.data.get("runbook") != runbook:
            continue
        item = int(event.data["item"])
        if event.kind == EventKind.RUNBOOK_ITEM_CHECKED:
            done.add(item)
        else:
            done.discard(item)
    return done


def set_item(
    session: Session,
    incident: Incident,
    runbook: str,
    items: tuple[str, ...],
    index: int,
    done: bool,
    *,
    by: str | None,
) -> bool:
    """Mark one item done or not done; False when it already was (nothing recorded)."""
    if not incident.is_open:
        raise InvalidInput(f"{incident.reference} is resolved; its runbooks are closed.")
    if not 0 <= index < len(items):
        raise InvalidInput("That checklist item does not exist.")
    if (index in ticked(session, incident.id, runbook)) == done:
        return False
    if done:
        timeline.record(
            session,
            incident,
            EventKind.RUNBOOK_ITEM_CHECKED,
            f"Done: {items[index]}",
            actor=by,
            runbook=runbook,
            item=index,
        )
    else:
        timeline.record(
            session,
            incident,
            EventKind.RUNBOOK_ITEM_UNCHECKED,
            f"Not done after all: {items[index]}",
            actor=by,
            runbook=runbook,
            item=index,
        )
    return True
