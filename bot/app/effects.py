"""The Slack outbox: calls owed because of stored changes, and how each is performed.

A flow writes its effects (redraw the summary, post the announcement, brief
the new role holder...) in the same transaction as the change, then drains
them at once; the scheduler's sweep drains what is left, also after a
restart. ``bot.outbox.engine`` claims, performs and retries them. Each kind is a
dataclass of ``bot.app.effect_kinds`` (its fields the payload, what it is for in
words, whether it keeps its order); ``bot.app.effect_table`` names who performs
each (the plain Slack calls here, a use case's own work in its flow), and
``bot.app.compose`` hands that table to the engine. Dead work is reported in the
incident channel, in those words. Nothing here imports a flow.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.app import summary
from bot.app.effect_kinds import (
    BY_KIND,
    Archive,
    Bookmark,
    DeadNotice,
    Effect,
    Invite,
    Message,
    Post,
    RedrawSummary,
    Rename,
    Tell,
    Undecodable,
    Upload,
    decode,
)
from bot.app.locks import incident_lock
from bot.outbox.engine import Engine, Work, pending_filter
from bot.outbox.failures import Failure
from bot.slack.blocks.text import escape
from bot.slack.webapi import notify
from bot.store.db import Database
from bot.store.models import Incident, SlackEffect, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

RETRY_WINDOW = 120.0  # seconds: retries due sooner than this get a timer of their own

Performer = Callable[["Services", int, Any], None]  # (services, incident, the typed effect)
Table = Mapping[type[Effect], Performer]  # ``bot.app.effect_table.TABLE``


def kinds() -> frozenset[str]:
    """Every kind a row may be stored as."""
    return frozenset(BY_KIND)


def enqueue(session: Session, incident_id: int, effect: Effect) -> None:
    if BY_KIND.get(getattr(effect, "kind", "")) is not type(effect):
        raise ValueError(f"unknown Slack effect {type(effect).__name__}")
    key = None
    if effect.ordered:
        channel = getattr(effect, "channel", None)
        if channel is None:
            incident = session.get(Incident, incident_id)
            channel = incident.channel_id if incident is not None else None
        key = f"channel:{channel}" if channel else f"incident:{incident_id}"
    session.add(
        SlackEffect(
            incident_id=incident_id, kind=effect.kind, payload=effect.payload(), order_key=key
        )
    )


def engine(db: Database, services: Callable[[], Services], table: Table) -> Engine:
    """An engine that performs these effects with the process's services (``services()``
    gives them once they are built: ``build_services`` makes the one engine), each by
    its performer in ``table``."""
    return Engine(
        db,
        lambda work: _perform(services(), table, work),
        lambda work, failure: _report_dead(services(), work, failure),
    )


def _perform(services: Services, table: Table, work: Work) -> None:
    # A kind from a newer or older release, or a payload that does not fit its class:
    # Undecodable, a final failure (Slack never saw it).
    effect = decode(work.kind, work.payload)
    perform = table.get(type(effect))
    if perform is None:
        raise Undecodable(f"no performer for the Slack effect {work.kind!r}")
    perform(services, work.incident_id, effect)


def drain(services: Services, incident_id: int | None = None) -> int:
    """Perform what is due (for one incident, or all); returns how many were done."""
    if incident_id is not None:
        owners = [incident_id]
    else:
        with services.db.begin() as session:
            owners = list(
                session.scalars(
                    select(SlackEffect.incident_id)
                    .where(pending_filter())
                    .distinct()
                    .order_by(SlackEffect.incident_id)
                    .limit(200)
                )
            )
    done = 0
    for owner in owners:
        # Read the pending list only once the lock is held: another drain may have
        # performed some of it meanwhile.
        with incident_lock(owner):
            if _is_set_up(services, owner):
                done += services.outbox.run_incident(owner)
            else:  # the rest waits for the incident's set-up to finish
                done += services.outbox.run_incident(owner, _kinds_without_channel())
        _drain_again_when_due(services, owner)
    return done


def _drain_again_when_due(services: Services, incident_id: int) -> None:
    """Work waiting out a backoff is tried when it falls due, not at the next sweep."""
    with services.db.begin() as session:
        due = session.scalar(
            select(func.min(SlackEffect.due_at)).where(
                SlackEffect.incident_id == incident_id, pending_filter()
            )
        )
    if due is None:
        return
    # Due already but still owed: another process holds it, or the incident waits for
    # its channel; the holder, the set-up or the sweep will see to it.
    delay = (due - utcnow()).total_seconds()
    if 0 < delay <= RETRY_WINDOW:  # later than that, the sweep is as good
        services.background.submit_once(
            ("drain", incident_id), drain, services, incident_id, delay=delay
        )


def _kinds_without_channel() -> frozenset[str]:
    """The kinds performed while an incident has no channel yet."""
    return frozenset(kind for kind, cls in BY_KIND.items() if not cls.waits_for_channel)


def _is_set_up(services: Services, incident_id: int) -> bool:
    """Whether the incident's set-up has finished: its channel exists and its summary is
    posted. Work posted to the channel waits for that, so the summary comes first there
    (a channel made moments ago, and not yet finished, has no room for anything else)."""
    with services.db.begin() as session:
        done = session.scalar(select(Incident.provisioned_at).where(Incident.id == incident_id))
    return done is not None


def describe(kind: str, payload: dict[str, Any]) -> str:
    """What the work was meant to do, in the words of a sentence "Could not ..."."""
    try:
        return decode(kind, payload).what()
    except Undecodable:
        return kind


def _report_dead(services: Services, work: Work, failure: Failure) -> None:
    """Say in the incident channel what could not be done, while it can take a message."""
    if work.kind == DeadNotice.kind:
        return  # never a notice about a notice
    with services.db.begin() as session:
        _owe_notice(session, work.id, work.incident_id, work.kind, work.payload, failure)


def _owe_notice(
    session: Session,
    work_id: int,
    incident_id: int,
    kind: str,
    payload: dict[str, Any],
    failure: Failure,
) -> None:
    text = (
        f":warning: Could not {describe(kind, payload)}: {escape(failure.words)}. "
        f"Nothing else waits on it; an operator can see it with `incidentbot outbox --dead` "
        f"and try it again with `incidentbot outbox retry {work_id}`."
    )
    enqueue(session, incident_id, DeadNotice(text=text))


def record_refused(
    session: Session,
    incident_id: int,
    effect: Effect,
    failure: Failure,
    *,
    tell: bool = True,
) -> int:
    """Store work Slack refused for good before it was ever owed (a step of a channel's
    set-up) as dead outbox work: listed, counted and retried like any other. ``tell``:
    the channel is told, as for work that died in the outbox. Returns the row's ID."""
    now = utcnow()
    kind, payload = effect.kind, effect.payload()
    row = SlackEffect(
        incident_id=incident_id,
        kind=kind,
        payload=payload,
        order_key=None,
        attempts=1,
        due_at=now,
        dead_at=now,
        error_code=failure.code[:64],
        last_error=failure.text()[:2000],
    )
    session.add(row)
    session.flush()
    if tell:
        _owe_notice(session, row.id, incident_id, kind, payload, failure)
    return row.id


def refusal_key(effect: Effect) -> tuple[str, str]:
    return _refusal_key(effect.kind, effect.payload())


def _refusal_key(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    return kind, str(payload.get("user") or "")


def refused(session: Session, incident_id: int) -> set[tuple[str, str]]:
    """The work of this incident that is dead and not yet retried (``refusal_key``s)."""
    rows = session.execute(
        select(SlackEffect.kind, SlackEffect.payload).where(
            SlackEffect.incident_id == incident_id,
            SlackEffect.dead_at.is_not(None),
            SlackEffect.done_at.is_(None),
        )
    ).all()
    return {_refusal_key(kind, dict(payload or {})) for kind, payload in rows}


def settle(session: Session, incident_id: int, kind: type[Effect]) -> None:
    """Mark this incident's owed or dead work of ``kind`` done: it happened another way."""
    session.execute(
        update(SlackEffect)
        .where(
            SlackEffect.incident_id == incident_id,
            SlackEffect.kind == kind.kind,
            SlackEffect.done_at.is_(None),
        )
        .values(done_at=utcnow(), dead_at=None)
        .execution_options(synchronize_session=False)
    )


# The plain Slack calls (``bot.app.effect_table`` lists them with the flows' own work).


def redraw_summary(services: Services, incident_id: int, effect: RedrawSummary) -> None:
    summary.refresh_summary(services, incident_id)


def post(services: Services, incident_id: int, effect: Post) -> None:
    channel = effect.channel or incident_channel(services, incident_id)
    notify.post(services.client, channel, effect.text)


def message(services: Services, incident_id: int, effect: Message) -> None:
    """A message with blocks; no channel means the incident's own."""
    channel = effect.channel or incident_channel(services, incident_id)
    notify.post(services.client, channel, effect.text, blocks=effect.blocks)


def dead_notice(services: Services, incident_id: int, effect: DeadNotice) -> None:
    notify.post(services.client, incident_channel(services, incident_id), effect.text)


def bookmark(services: Services, incident_id: int, effect: Bookmark) -> None:
    notify.bookmark(
        services.client, incident_channel(services, incident_id), effect.title, effect.link
    )


def incident_channel(services: Services, incident_id: int) -> str:
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        channel = incident.channel_id if incident is not None else None
    if channel is None:
        raise LookupError(f"incident {incident_id} has no channel yet")
    return channel


def tell(services: Services, incident_id: int, effect: Tell) -> None:
    channel = effect.channel or incident_channel(services, incident_id)
    notify.tell(services.client, channel, effect.user, effect.text)


def invite(services: Services, incident_id: int, effect: Invite) -> None:
    """Into the given channel, or the incident's own as it is when this runs."""
    channel = effect.channel or incident_channel(services, incident_id)
    notify.invite(services.client, channel, effect.user)


def archive(services: Services, incident_id: int, effect: Archive) -> None:
    notify.archive(services.client, effect.channel)


def rename(services: Services, incident_id: int, effect: Rename) -> None:
    services.client.conversations_rename(channel=effect.channel, name=effect.name)


def upload(services: Services, incident_id: int, effect: Upload) -> None:
    """A file into the channel (Slack's external upload flow)."""
    services.client.files_upload_v2(
        channel=effect.channel,
        content=base64.b64decode(effect.content),
        filename=effect.filename,
        title=effect.title,
        initial_comment=effect.comment,
    )
