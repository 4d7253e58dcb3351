"""The Slack outbox: calls owed because of stored changes, and how each is performed.

A flow writes its effects (redraw the summary, post the announcement, brief
the new role holder...) in the same transaction as the change, then drains
them at once; the scheduler's sweep drains what is left, also after a
restart. ``bot.outbox.engine`` claims, performs and retries them. Each kind is
registered with :func:`performs` by the module that knows how to do it (the
plain Slack calls here, a use case's own work in its flow), saying what it is
for in words and whether it keeps its order (posts into one channel); dead work
is reported in the incident channel, in those words. Nothing here imports a flow.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.app import summary
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

Performer = Callable[["Services", int, dict[str, Any]], None]


@dataclass(frozen=True)
class EffectKind:
    perform: Performer
    what: Callable[[dict[str, Any]], str]  # "Could not <what>"
    ordered: bool  # adds a message to a channel: readers see the order, so it is kept
    waits_for_channel: bool  # performed only once the incident's channel exists


_KINDS: dict[str, EffectKind] = {}


def performs(
    kind: str,
    what: str | Callable[[dict[str, Any]], str],
    *,
    ordered: bool = False,
    waits_for_channel: bool = True,
) -> Callable[[Performer], Performer]:
    """Register how ``kind`` is performed; ``what`` finishes the sentence "Could not ...".
    ``waits_for_channel=False``: work that names where it goes and may be performed
    while the incident has no channel (telling the declarer Slack refused one)."""

    def register(perform: Performer) -> Performer:
        if kind in _KINDS and _KINDS[kind].perform is not perform:
            raise ValueError(f"two performers for the Slack effect {kind!r}")
        words = what if callable(what) else (lambda payload, said=what: said)
        _KINDS[kind] = EffectKind(perform, words, ordered, waits_for_channel)
        return perform

    return register


def kinds() -> frozenset[str]:
    """Every kind registered so far (all of them once ``bot.app.compose`` is imported)."""
    return frozenset(_KINDS)


def enqueue(session: Session, incident_id: int, kind: str, **payload: Any) -> None:
    if kind not in _KINDS:
        raise ValueError(f"unknown Slack effect {kind!r}")
    key = None
    if _KINDS[kind].ordered:
        channel = payload.get("channel")
        if channel is None:
            incident = session.get(Incident, incident_id)
            channel = incident.channel_id if incident is not None else None
        key = f"channel:{channel}" if channel else f"incident:{incident_id}"
    session.add(SlackEffect(incident_id=incident_id, kind=kind, payload=payload, order_key=key))


def engine(db: Database, services: Callable[[], Services]) -> Engine:
    """An engine that performs these effects with the process's services (``services()``
    gives them once they are built: ``build_services`` makes the one engine)."""
    return Engine(
        db,
        lambda work: _perform(services(), work),
        lambda work, failure: _report_dead(services(), work, failure),
    )


def _perform(services: Services, work: Work) -> None:
    known = _KINDS.get(work.kind)
    if known is None:  # a kind from a newer or older release: Slack never saw it
        raise LookupError(f"no performer for the Slack effect {work.kind!r}")
    known.perform(services, work.incident_id, work.payload)


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
    return frozenset(kind for kind, known in _KINDS.items() if not known.waits_for_channel)


def _is_set_up(services: Services, incident_id: int) -> bool:
    """Whether the incident's set-up has finished: its channel exists and its summary is
    posted. Work posted to the channel waits for that, so the summary comes first there
    (a channel made moments ago, and not yet finished, has no room for anything else)."""
    with services.db.begin() as session:
        done = session.scalar(select(Incident.provisioned_at).where(Incident.id == incident_id))
    return done is not None


def _channel_named(payload: dict[str, Any]) -> str:
    return f"<#{payload['channel']}>" if payload.get("channel") else "this channel"


def _user_named(payload: dict[str, Any]) -> str:
    return f"<@{payload['user']}>" if payload.get("user") else "someone"


def describe(kind: str, payload: dict[str, Any]) -> str:
    """What the work was meant to do, in the words of a sentence "Could not ..."."""
    known = _KINDS.get(kind)
    return known.what(payload) if known is not None else kind


def _report_dead(services: Services, work: Work, failure: Failure) -> None:
    """Say in the incident channel what could not be done, while it can take a message."""
    if work.kind == "dead_notice":
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
    enqueue(session, incident_id, "dead_notice", text=text)


def record_refused(
    session: Session,
    incident_id: int,
    kind: str,
    payload: dict[str, Any],
    failure: Failure,
    *,
    tell: bool = True,
) -> int:
    """Store work Slack refused for good before it was ever owed (a step of a channel's
    set-up) as dead outbox work: listed, counted and retried like any other. ``tell``:
    the channel is told, as for work that died in the outbox. Returns the row's ID."""
    now = utcnow()
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


def refusal_key(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
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
    return {refusal_key(kind, dict(payload or {})) for kind, payload in rows}


def settle(session: Session, incident_id: int, kind: str) -> None:
    """Mark this incident's owed or dead work of ``kind`` done: it happened another way."""
    session.execute(
        update(SlackEffect)
        .where(
            SlackEffect.incident_id == incident_id,
            SlackEffect.kind == kind,
            SlackEffect.done_at.is_(None),
        )
        .values(done_at=utcnow(), dead_at=None)
        .execution_options(synchronize_session=False)
    )


@performs("summary", "redraw the pinned summary")
def _summary(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    summary.refresh_summary(services, incident_id)


@performs("post", lambda p: f"post to {_channel_named(p)}", ordered=True)
def _post(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.post(services.client, payload["channel"], payload["text"])


@performs("message", lambda p: f"post to {_channel_named(p)}", ordered=True)
def _message(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """A message with blocks; no channel means the incident's own."""
    channel = payload.get("channel") or incident_channel(services, incident_id)
    notify.post(services.client, channel, payload["text"], blocks=payload.get("blocks"))


@performs("dead_notice", "report work Slack refused")
def _dead_notice(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.post(services.client, incident_channel(services, incident_id), payload["text"])


@performs("bookmark", lambda p: f"add the bookmark “{escape(str(p.get('title', '')))}”")
def _bookmark(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.bookmark(
        services.client, incident_channel(services, incident_id), payload["title"], payload["link"]
    )


def incident_channel(services: Services, incident_id: int) -> str:
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        channel = incident.channel_id if incident is not None else None
    if channel is None:
        raise LookupError(f"incident {incident_id} has no channel yet")
    return channel


@performs("tell", lambda p: f"send {_user_named(p)} a private message")
def _tell(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.tell(services.client, payload["channel"], payload["user"], payload["text"])


@performs("invite", lambda p: f"invite {_user_named(p)} to this channel")
def _invite(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """Into the given channel, or the incident's own as it is when this runs."""
    channel = payload.get("channel") or incident_channel(services, incident_id)
    notify.invite(services.client, channel, payload["user"])


@performs("archive", lambda p: f"archive {_channel_named(p)}", ordered=True)  # after the notice
def _archive(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.archive(services.client, payload["channel"])


@performs("rename", lambda p: f"rename {_channel_named(p)}", ordered=True)
def _rename(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    services.client.conversations_rename(channel=payload["channel"], name=payload["name"])


@performs(
    "upload",
    lambda p: f"upload {escape(str(p.get('filename', 'a file')))} to {_channel_named(p)}",
    ordered=True,
)
def _upload(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """A file into the channel (Slack's external upload flow)."""
    services.client.files_upload_v2(
        channel=payload["channel"],
        content=base64.b64decode(payload["content"]),
        filename=payload["filename"],
        title=payload["title"],
        initial_comment=payload.get("comment"),
    )
