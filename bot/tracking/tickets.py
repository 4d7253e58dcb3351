"""Action items as tickets, in the database: who asked for one, the one filed, what the
tracker reported back, and when the poll and the overdue nudge are next due.

Every change here is made in the caller's transaction beside its timeline event; the
calls to the tracker are outbox work the caller owes (``file_ticket``), made after.
Claims (``claim_checks``, ``claim_nudges``) are conditional updates, so with several
replicas each row is taken by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.incidents import notes, timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.store.models import Incident, TimelineEvent, TrackedAction
from bot.tracking.tracker import TRACKERS, Ticket

CHECK_EVERY = timedelta(days=1)  # the poll for tickets closed while a webhook was missed
NUDGE_EVERY = timedelta(days=1)
FILED_ON_RESOLUTION = frozenset({"sev1", "sev2"})


def item_label(item_id: int) -> str:
    """The item's own label: what a retried filing looks for before filing again."""
    return f"incidentbot-item-{item_id}"


def incident_label(incident: Incident) -> str:
    return f"incident-{incident.reference.lower()}"


def _row(session: Session, incident: Incident, item_id: int) -> TrackedAction:
    item = session.get(TimelineEvent, item_id)
    if item is None or item.incident_id != incident.id or item.kind != EventKind.ACTION_ITEM:
        raise InvalidInput("That action item is not part of this incident.")
    row = session.get(TrackedAction, item_id, with_for_update=True)
    if row is None:  # an item from before tickets: followed up from now on
        owner = item.data.get("owner")
        row = TrackedAction(item_id=item_id, incident_id=incident.id, owner=owner)
        session.add(row)
        session.flush()
    return row


def ask(session: Session, incident: Incident, item_id: int, provider: str, *, by: str) -> bool:
    """Someone asked for a ticket: owed once. False when one is filed or on its way
    already (nothing changes); a "no ticket" said before is overruled."""
    row = _row(session, incident, item_id)
    if row.ticket in ("owed", "filed"):
        return False
    if row.done_at is not None:
        raise InvalidInput("That action item is done already; there is nothing to file.")
    row.ticket, row.asked_by, row.provider = "owed", by, provider
    row.label = item_label(item_id)
    return True


def decline(session: Session, incident: Incident, item_id: int, *, by: str) -> None:
    """Someone said no ticket: resolution files none for this item."""
    row = _row(session, incident, item_id)
    if row.ticket == "filed":
        raise InvalidInput(f"That action item has a ticket already ({row.ticket_key}).")
    if row.ticket == "declined":
        raise InvalidInput("That action item is marked for no ticket already.")
    item = session.get(TimelineEvent, item_id)
    assert item is not None
    row.ticket = "declined"
    timeline.record(
        session,
        incident,
        EventKind.TICKET_DECLINED,
        f"No ticket for: {item.data.get('item', '')}",
        actor=by,
        item_id=item_id,
    )


def owe_on_resolution(session: Session, incident: Incident, provider: str) -> list[int]:
    """At a SEV1 or SEV2's resolution, every open item nobody declined is owed a ticket.
    A drill files none. Returns the items now owed."""
    if incident.drill or incident.severity not in FILED_ON_RESOLUTION:
        return []
    owed = []
    for item in notes.open_actions(session, incident.id):
        row = _row(session, incident, item.id)
        if row.ticket is None and row.done_at is None:
            row.ticket, row.provider, row.label = "owed", provider, item_label(item.id)
            owed.append(item.id)
    return owed


def record_filed(
    session: Session, incident: Incident, item_id: int, ticket: Ticket, provider: str, now: datetime
) -> TrackedAction | None:
    """The tracker made (or had) the ticket; None when it was recorded before."""
    row = session.get(TrackedAction, item_id, with_for_update=True)
    item = session.get(TimelineEvent, item_id)
    if row is None or item is None or row.ticket == "filed":
        return None
    row.ticket, row.provider = "filed", provider
    row.ticket_key, row.ticket_url, row.filed_at = ticket.key, ticket.url, now
    row.label = row.label or item_label(item_id)
    row.check_due_at = None if row.done_at else now + CHECK_EVERY
    timeline.record(
        session,
        incident,
        EventKind.TICKET_FILED,
        f"Ticket {ticket.key} filed in {TRACKERS.get(provider, provider)}: "
        f"{item.data.get('item', '')}",
        actor=row.asked_by,
        when=now,
        item_id=item_id,
        key=ticket.key,
        url=ticket.url,
        provider=provider,
        ref=ticket.ref,
    )
    return row


def ref_of(row: TrackedAction) -> str | None:
    """What the tracker is asked about the row's ticket by."""
    if row.ticket_key is None:
        return None
    return row.ticket_key.rsplit("#", 1)[-1] if row.provider == "github" else row.ticket_key


def find_by_ref(session: Session, provider: str, ref: str) -> TrackedAction | None:
    key_like = ref
    if provider == "github":
        rows = session.scalars(
            select(TrackedAction).where(
                TrackedAction.provider == "github", TrackedAction.ticket_key.like(f"%#{ref}")
            )
        ).all()
        exact = [r for r in rows if ref_of(r) == ref]
        return exact[0] if exact else None
    return session.scalar(
        select(TrackedAction).where(
            TrackedAction.provider == provider, TrackedAction.ticket_key == key_like
        )
    )


@dataclass(frozen=True)
class Closed:
    incident_id: int
    item_id: int
    key: str


def close_from_tracker(session: Session, provider: str, ref: str, now: datetime) -> Closed | None:
    """The tracker says the ticket is done: so is its item (on the timeline, where the
    review's follow-through counts it). None for a ticket that is not ours, or an item
    done already."""
    found = find_by_ref(session, provider, ref)
    if found is None:
        return None
    row = session.get(TrackedAction, found.item_id, with_for_update=True)
    incident = session.get(Incident, found.incident_id)
    if row is None or incident is None or row.done_at is not None:
        return None
    done = {i.id for i, d in notes.actions(session, incident.id) if d}
    if row.item_id in done:
        row.done_at, row.check_due_at = now, None
        return None
    notes.close_action(session, incident, row.item_id, by=None, via=row.ticket_key, when=now)
    row.check_due_at = None
    return Closed(incident.id, row.item_id, str(row.ticket_key))


def claim_checks(
    session: Session, provider: str, now: datetime, limit: int = 100
) -> list[TrackedAction]:
    """Filed tickets due for the daily poll, each taken by one replica (its next check
    moves a day on in the same conditional update)."""
    due = (
        TrackedAction.provider == provider,
        TrackedAction.ticket == "filed",
        TrackedAction.done_at.is_(None),
        TrackedAction.check_due_at <= now,
    )
    return _claim(
        session, due, TrackedAction.check_due_at <= now, limit, check_due_at=now + CHECK_EVERY
    )


def claim_nudges(session: Session, now: datetime, limit: int = 100) -> list[TrackedAction]:
    """Overdue items with an owner whose nudge has come, each taken by one replica; the
    next nudge is a day later."""
    due = (
        TrackedAction.done_at.is_(None),
        TrackedAction.owner.is_not(None),
        TrackedAction.nudge_due_at <= now,
    )
    return _claim(
        session,
        due,
        TrackedAction.nudge_due_at <= now,
        limit,
        nudge_due_at=now + NUDGE_EVERY,
        nudges=TrackedAction.nudges + 1,
    )


def _claim(
    session: Session,
    due: tuple[Any, ...],
    still_due: Any,
    limit: int,
    **moved_on: Any,
) -> list[TrackedAction]:
    """The rows ``due`` says, each taken by a conditional update that is true only while
    ``still_due`` holds: a replica that took it first has moved it on."""
    ids = session.scalars(
        select(TrackedAction.item_id).where(*due).order_by(TrackedAction.item_id).limit(limit)
    ).all()
    taken = []
    for item_id in ids:
        moved = session.execute(
            update(TrackedAction)
            .where(TrackedAction.item_id == item_id, still_due)
            .values(**moved_on)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount:  # type: ignore[attr-defined]
            row = session.get(TrackedAction, item_id, populate_existing=True)
            if row is not None:
                taken.append(row)
    return taken


def of_incident(session: Session, incident_id: int) -> dict[int, TrackedAction]:
    """The incident's followed items by item ID (for cards, documents, the console)."""
    rows = session.scalars(select(TrackedAction).where(TrackedAction.incident_id == incident_id))
    return {row.item_id: row for row in rows}
