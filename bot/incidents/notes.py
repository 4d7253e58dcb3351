"""What people add to the timeline by hand: notes, pinned messages and action items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.incidents import timeline, typed_text
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.store.models import Incident, TimelineEvent, TrackedAction, utcnow

# One Slack section shows 3,000 characters; a note is shown whole in the timeline view.
NOTE_MAX = 3000
ACTION_MAX = 500


def clean_note(text: str) -> str:
    cleaned = typed_text.cleaned(text, lines=True)
    if not typed_text.shows_something(cleaned):
        raise InvalidInput(
            "A note needs text: `/incident note Rolled back to v41; precision recovering`."
        )
    if len(cleaned) > NOTE_MAX:
        raise InvalidInput(
            f"That note is {len(cleaned)} characters; keep it to {NOTE_MAX} (what Slack shows "
            "in one block), or pin the longer message with :pushpin: instead."
        )
    return cleaned


def add_note(session: Session, incident: Incident, text: str, *, by: str | None) -> TimelineEvent:
    return timeline.record(session, incident, EventKind.NOTE, clean_note(text), actor=by)


# -- pinned messages ------------------------------------------------------------------


@dataclass(frozen=True)
class PinnedMessage:
    channel: str
    ts: str
    author: str | None  # a Slack user ID, or None for a bot's message
    posted_at: datetime
    text: str  # plain text, as a person reads it
    permalink: str | None

    @property
    def key(self) -> str:
        return pin_key(self.channel, self.ts)


def pin_key(channel: str, ts: str) -> str:
    return f"pin:{channel}:{ts}"


def pin(
    session: Session, incident: Incident, message: PinnedMessage, *, by: str
) -> TimelineEvent | None:
    """Put a message on the timeline at the time it was posted; None if it already was.

    Everyone who pinned it is remembered, so the entry stays until the last of
    them takes their :pushpin: away.
    """
    existing = timeline.by_key(session, message.key)
    if existing is not None:
        pinned_by = list(existing.data.get("pinned_by", []))
        if by not in pinned_by:
            existing.data = {**existing.data, "pinned_by": [*pinned_by, by]}
        return None
    return timeline.record_once(
        session,
        incident,
        EventKind.PINNED_MESSAGE,
        message.text[:NOTE_MAX],
        dedup_key=message.key,
        actor=message.author,
        when=message.posted_at,
        channel=message.channel,
        ts=message.ts,
        permalink=message.permalink,
        pinned_by=[by],
    )


def unpin(session: Session, channel: str, ts: str, *, by: str) -> bool:
    """``by`` took their :pushpin: away; True when that took the message off the timeline."""
    event = timeline.by_key(session, pin_key(channel, ts))
    if event is None:
        return False
    remaining = [u for u in event.data.get("pinned_by", []) if u != by]
    if remaining:
        event.data = {**event.data, "pinned_by": remaining}
        return False
    session.delete(event)
    return True


# -- action items ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActionItem:
    text: str
    owner: str | None  # a Slack user ID
    due: date | None


def clean_action(text: str) -> str:
    cleaned = typed_text.cleaned(text, lines=False)
    if not typed_text.shows_something(cleaned):
        raise InvalidInput("Say what needs doing.")
    if len(cleaned) > ACTION_MAX:
        raise InvalidInput(
            f"Keep an action item to {ACTION_MAX} characters (it has {len(cleaned)}); "
            "put the detail in a note or a ticket."
        )
    return cleaned


def add_action(
    session: Session, incident: Incident, item: ActionItem, *, by: str | None
) -> TimelineEvent:
    text = clean_action(item.text)
    event = timeline.record(
        session,
        incident,
        EventKind.ACTION_ITEM,
        f"Action item: {text}",
        actor=by,
        item=text,
        owner=item.owner,
        due=item.due.isoformat() if item.due else None,
    )
    session.flush()
    # Followed up from here on: its ticket, if one is filed, and nudges once it is overdue.
    session.add(
        TrackedAction(
            item_id=event.id,
            incident_id=incident.id,
            owner=item.owner,
            due=item.due,
            nudge_due_at=overdue_from(item.due) if item.due and item.owner else None,
        )
    )
    return event


OVERDUE_HOUR = 9  # UTC: an item due on a day is nudged the next morning, then daily


def overdue_from(due: date) -> datetime:
    """When an item due on ``due`` is first overdue enough to nudge its owner."""
    return datetime.combine(due + timedelta(days=1), time(OVERDUE_HOUR), tzinfo=UTC)


def close_action(
    session: Session,
    incident: Incident,
    item_id: int,
    *,
    by: str | None,
    via: str | None = None,
    when: datetime | None = None,
) -> TimelineEvent:
    """Mark an action item done; refused when it is not this incident's or already done.
    ``via``: the tracker's ticket that was closed (``by`` is then None: nobody in Slack)."""
    item = session.get(TimelineEvent, item_id)
    if item is None or item.incident_id != incident.id or item.kind != EventKind.ACTION_ITEM:
        raise InvalidInput("That action item is not part of this incident.")
    if item_id in _done_ids(session, incident.id):
        raise InvalidInput("That action item is already done; nothing changed.")
    tracked = session.get(TrackedAction, item_id, with_for_update=True)
    if tracked is not None and tracked.done_at is None:
        tracked.done_at = when or utcnow()
    said = f" (ticket {via} closed)" if via else ""
    extra = {"via": via} if via else {}
    return timeline.record(
        session,
        incident,
        EventKind.ACTION_ITEM_DONE,
        f"Action item done: {item.data.get('item', '')}{said}",
        actor=by,
        when=when,
        item_id=item_id,
        **extra,
    )


def actions(session: Session, incident_id: int) -> list[tuple[TimelineEvent, bool]]:
    """Every action item of the incident, oldest first, with whether it is done."""
    done = _done_ids(session, incident_id)
    items = session.scalars(
        select(TimelineEvent)
        .where(
            TimelineEvent.incident_id == incident_id, TimelineEvent.kind == EventKind.ACTION_ITEM
        )
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
    )
    return [(item, item.id in done) for item in items]


def _done_ids(session: Session, incident_id: int) -> set[int]:
    closing = session.scalars(
        select(TimelineEvent.data).where(
            TimelineEvent.incident_id == incident_id,
            TimelineEvent.kind == EventKind.ACTION_ITEM_DONE,
        )
    )
    return {int(data["item_id"]) for data in closing if "item_id" in data}


def open_actions(session: Session, incident_id: int) -> list[TimelineEvent]:
    return [item for item, done in actions(session, incident_id) if not done]


def people(session: Session, incident: Incident) -> set[str]:
    """Everyone an incident names: who acted, who holds a role, who role changes and
    hand-overs are about, who owns an action item (their display names are looked up
    for documents)."""
    actors = session.scalars(
        select(TimelineEvent.actor)
        .where(TimelineEvent.incident_id == incident.id, TimelineEvent.actor.is_not(None))
        .distinct()
    )
    people = {str(a) for a in actors}
    people.update(a.user_id for a in incident.roles)
    about = session.scalars(  # the people role changes and hand-overs name
        select(TimelineEvent).where(
            TimelineEvent.incident_id == incident.id,
            TimelineEvent.kind.in_(timeline.ABOUT_PEOPLE),
        )
    )
    people.update(user for event in about for user in timeline.subjects(event))
    people.update(
        str(item.data["owner"])
        for item, _ in actions(session, incident.id)
        if item.data.get("owner")
    )
    return people
