"""Writing timeline events: the one way incident history is recorded.

An event stores facts, never Slack text: its kind, who did it (``actor``, a user
ID), the people and things it is about as IDs in ``data``, and ``text``, what
happened in plain words as a person wrote or the bot said it (no mentions, no
escaping, no emphasis, no emoji codes). Each surface renders the facts its own
way through :func:`describe`: mentions and escaped text in Slack, display names
in the post-mortem's Markdown, plain words on the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.incidents import facts, kinds
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.store.models import Incident, TimelineEvent, utcnow
from bot.text import rendering


def label(kind: str) -> str:
    """How an event of ``kind`` reads in a list or a document."""
    return kinds.label(kind)


# The kinds of event told from the people they name, and the fields naming them.
ABOUT_PEOPLE = (
    EventKind.ROLE_ASSIGNED,
    EventKind.ROLE_HANDED_OVER,
    EventKind.HANDOVER_REQUESTED,
    EventKind.HANDOVER_DECLINED,
    EventKind.MADE_PRIVATE,
)
_SUBJECT_FIELDS = ("user", "previous", "holder")


def subjects(event: TimelineEvent) -> set[str]:
    """The people an event is about, besides its actor."""
    data = event.data or {}
    return {str(data[field]) for field in _SUBJECT_FIELDS if data.get(field)}


def _role_title(value: object) -> str:
    try:
        return Role(str(value)).info.title
    except ValueError:
        return str(value)


def describe(
    event: TimelineEvent,
    person: Callable[[str], str],
    words: Callable[[str], str] = lambda text: text,
) -> str:
    """What the event says, for one surface.

    ``person`` shows a user ID (a Slack mention, ``@display name``); ``words``
    prepares stored text for the surface (Slack escaping; nothing for plain text
    or for a template that escapes on its own). Events about people are told from
    their IDs; every other event's ``text`` is already its plain words.
    """
    data = event.data or {}
    user, role = data.get("user"), data.get("role")
    if event.kind == EventKind.ROLE_ASSIGNED and user and role:
        return f"{person(user)} {words('is ' + _role_title(role))}"
    if event.kind == EventKind.ROLE_HANDED_OVER and user and role and data.get("previous"):
        return (
            f"{person(user)} {words(f'took over as {_role_title(role)} from')} "
            f"{person(data['previous'])}"
        )
    if event.kind == EventKind.HANDOVER_REQUESTED and user and role and event.actor:
        holder = data.get("holder")
        said = f"{person(event.actor)} {words('asked for')} {person(user)} "
        said += words(f"to take {_role_title(role)}")
        return said + (f" {words('from')} {person(holder)}" if holder else "")
    if event.kind == EventKind.HANDOVER_DECLINED and user and role and event.actor:
        return (
            f"{person(event.actor)} {words(f'kept {_role_title(role)} from going to')} "
            f"{person(user)}"
        )
    if event.kind == EventKind.MADE_PRIVATE and event.actor:
        archived = f"; #{data['from_name']} archived" if data.get("from_name") else ""
        return f"{words('Moved to a private channel by')} {person(event.actor)}{words(archived)}"
    return words(event.text)


def plain(event: TimelineEvent, names: dict[str, str] | None = None) -> str:
    """The event in plain words, people as ``@name`` (their IDs where no name is known).
    Emoji codes (an older event may have kept some from Slack) show as characters."""
    known = names or {}
    return rendering.plain(describe(event, lambda user: "@" + known.get(user, user)))


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
    kind: EventKind,
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
    kind: EventKind,
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
