"""The Slack outbox: calls owed because of stored changes, performed until Slack takes them.

A flow writes its effects (redraw the summary, post the announcement, brief
the new role holder...) in the same transaction as the change, then drains
them at once. What Slack refuses even after the client's own retries stays
pending with a growing delay, and the scheduler's sweep drains it later, also
after a restart. Effects of one incident run in id order, and a failed one
holds back those after it, so a channel never sees events out of order.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.models import SlackEffect, utcnow
from bot.slack import notify

if TYPE_CHECKING:
    from bot.slack.services import Services

log = logging.getLogger(__name__)

CLAIM_TTL = timedelta(minutes=2)
BACKOFF = (5, 15, 60, 300, 900)  # seconds before attempt 2, 3, ...; then every 15 minutes


def enqueue(session: Session, incident_id: int, kind: str, **payload: Any) -> None:
    if kind not in PERFORMERS:
        raise ValueError(f"unknown Slack effect {kind!r}")
    session.add(SlackEffect(incident_id=incident_id, kind=kind, payload=payload))


def drain(services: Services, incident_id: int | None = None) -> int:
    """Perform what is due (for one incident, or all); returns how many were done."""
    if incident_id is not None:
        owners = [incident_id]
    else:
        with services.db.begin() as session:
            owners = list(
                session.scalars(
                    select(SlackEffect.incident_id)
                    .where(SlackEffect.done_at.is_(None))
                    .distinct()
                    .order_by(SlackEffect.incident_id)
                    .limit(200)
                )
            )
    done = 0
    for owner in owners:
        # Read the pending list only once the lock is held: another drain may have
        # performed some of it meanwhile.
        with notify.incident_lock(owner):
            if _has_channel(services, owner):  # effects wait for the incident's set-up
                done += _drain_one(services, owner)
    return done


def _has_channel(services: Services, incident_id: int) -> bool:
    from bot.models import Incident

    with services.db.begin() as session:
        channel = session.scalar(select(Incident.channel_id).where(Incident.id == incident_id))
    return channel is not None


def _drain_one(services: Services, owner: int) -> int:
    """Perform one incident's due effects in order, including ones they enqueue."""
    done = 0
    while True:
        now = utcnow()
        with services.db.begin() as session:
            pending = session.execute(
                select(SlackEffect.id, SlackEffect.due_at)
                .where(SlackEffect.incident_id == owner, SlackEffect.done_at.is_(None))
                .order_by(SlackEffect.id)
                .limit(100)
            ).all()
        if not pending:
            return done
        for row in pending:
            if row.due_at > now or not _claim(services, row.id) or not _perform(services, row.id):
                return done  # the oldest is waiting, taken or failing: the rest wait behind it
            done += 1


def _claim(services: Services, effect_id: int) -> bool:
    now = utcnow()
    with services.db.begin() as session:
        result = session.execute(
            update(SlackEffect)
            .where(SlackEffect.id == effect_id, SlackEffect.done_at.is_(None))
            .where(or_(SlackEffect.claimed_at.is_(None), SlackEffect.claimed_at < now - CLAIM_TTL))
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _perform(services: Services, effect_id: int) -> bool:
    with services.db.begin() as session:
        effect = session.get(SlackEffect, effect_id)
        assert effect is not None
        kind, payload, incident_id = effect.kind, dict(effect.payload), effect.incident_id
    try:
        PERFORMERS[kind](services, incident_id, payload)
    except Exception as exc:
        with services.db.begin() as session:
            effect = session.get(SlackEffect, effect_id)
            assert effect is not None
            effect.attempts += 1
            delay = BACKOFF[min(effect.attempts - 1, len(BACKOFF) - 1)]
            effect.due_at = utcnow() + timedelta(seconds=delay)
            effect.claimed_at = None
            effect.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("Slack effect %s (%s) failed, retrying in %ss: %s", effect_id, kind, delay, exc)
        return False
    with services.db.begin() as session:
        effect = session.get(SlackEffect, effect_id)
        assert effect is not None
        effect.done_at = utcnow()
    return True


def _summary(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.refresh_summary(services, incident_id)


def _post(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.post(services.client, payload["channel"], payload["text"])


def _message(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """A message with blocks; no channel means the incident's own."""
    channel = payload.get("channel") or _incident_channel(services, incident_id)
    services.client.chat_postMessage(
        channel=channel,
        text=payload["text"],
        blocks=payload.get("blocks"),
        unfurl_links=False,
        unfurl_media=False,
    )


def _bookmark(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.bookmark(
        services.client, _incident_channel(services, incident_id), payload["title"], payload["link"]
    )


def _incident_channel(services: Services, incident_id: int) -> str:
    from bot.models import Incident

    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        channel = incident.channel_id if incident is not None else None
    if channel is None:
        raise LookupError(f"incident {incident_id} has no channel yet")
    return channel


def _tell(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.tell(services.client, payload["channel"], payload["user"], payload["text"])


def _invite(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.invite(services.client, payload["channel"], payload["user"])


def _card(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import triage

    triage.redraw_card(services, incident_id, payload.get("response_url"))


def _follow_up(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import triage

    triage.follow_up(services, incident_id)


def _runbook(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.incidents.triage import Runbook
    from bot.slack.flows import triage

    triage.offer_runbook(services, incident_id, Runbook(payload["runbook"]))


def _action_card(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import timeline

    timeline.redraw_action(
        services,
        _incident_channel(services, incident_id),
        payload["ts"],
        payload["item_id"],
        payload.get("closed_by"),
    )


def _postmortem(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import postmortem

    postmortem.upload(services, incident_id, payload["by"])


def _pin(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import pins

    pins.pin_from_slack(
        services, _incident_channel(services, incident_id), payload["ts"], payload["user"]
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


def _drift(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """An analysis an alert asked for (``reference_data``/``current_data``), once the
    incident has its channel; problems are told to the channel, as nobody typed it."""
    from bot.slack.command_parser import DriftArgs
    from bot.slack.flows import drift

    channel = _incident_channel(services, incident_id)

    def tell_channel(**message: Any) -> None:
        notify.post(services.client, channel, str(message.get("text", "")))

    args = DriftArgs(payload["reference"], payload["current"], payload.get("prediction"))
    drift.start(services, channel, args, None, tell_channel)


def _alert_digest(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import alerts

    alerts.post_digest(services, incident_id)


Performer = Callable[["Services", int, dict[str, Any]], None]
PERFORMERS: dict[str, Performer] = {
    "summary": _summary,
    "post": _post,
    "message": _message,
    "bookmark": _bookmark,
    "alert_digest": _alert_digest,
    "tell": _tell,
    "invite": _invite,
    "card": _card,
    "follow_up": _follow_up,
    "runbook": _runbook,
    "action_card": _action_card,
    "postmortem": _postmortem,
    "pin": _pin,
    "upload": _upload,
    "drift": _drift,
}
