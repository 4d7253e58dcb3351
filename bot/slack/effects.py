"""The Slack outbox: calls owed because of stored changes, and how each is performed.

A flow writes its effects (redraw the summary, post the announcement, brief
the new role holder...) in the same transaction as the change, then drains
them at once; the scheduler's sweep drains what is left, also after a
restart. ``bot.outbox.engine`` claims, performs and retries them; this module
says what each kind does, which ones keep their order (posts into one
channel), and how dead work is reported: in the incident channel, in words.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Incident, SlackEffect, utcnow
from bot.outbox.engine import Engine, Work, pending_filter
from bot.outbox.failures import Failure
from bot.slack import notify
from bot.slack.text import escape

if TYPE_CHECKING:
    from bot.slack.services import Services

log = logging.getLogger(__name__)

RETRY_WINDOW = 120.0  # seconds: retries due sooner than this get a timer of their own

# Kinds that add messages to a channel: readers see their order, so it is kept.
_ORDERED = {
    "post",
    "message",
    "upload",
    "alert_digest",
    "runbook",
    "follow_up",
    "postmortem",
    "rename",
    "archive",  # after the notice that says why
    "drill_inject",
}


def enqueue(session: Session, incident_id: int, kind: str, **payload: Any) -> None:
    if kind not in PERFORMERS:
        raise ValueError(f"unknown Slack effect {kind!r}")
    key = None
    if kind in _ORDERED:
        channel = payload.get("channel")
        if channel is None:
            incident = session.get(Incident, incident_id)
            channel = incident.channel_id if incident is not None else None
        key = f"channel:{channel}" if channel else f"incident:{incident_id}"
    session.add(SlackEffect(incident_id=incident_id, kind=kind, payload=payload, order_key=key))


def engine(services: Services) -> Engine:
    """The process's engine for these effects (made on first use)."""
    made = services.__dict__.get("_outbox")
    if made is None:
        made = Engine(
            services.db,
            lambda work: PERFORMERS[work.kind](services, work.incident_id, work.payload),
            lambda work, failure: _report_dead(services, work, failure),
        )
        services.__dict__["_outbox"] = made
    return made


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
        with notify.incident_lock(owner):
            if _has_channel(services, owner):  # effects wait for the incident's set-up
                done += engine(services).run_incident(owner)
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


def _has_channel(services: Services, incident_id: int) -> bool:
    with services.db.begin() as session:
        channel = session.scalar(select(Incident.channel_id).where(Incident.id == incident_id))
    return channel is not None


def describe(kind: str, payload: dict[str, Any]) -> str:
    """What the work was meant to do, in the words of a sentence "Could not ..."."""
    channel = f"<#{payload['channel']}>" if payload.get("channel") else "this channel"
    user = f"<@{payload['user']}>" if payload.get("user") else "someone"
    words = {
        "summary": "redraw the pinned summary",
        "post": f"post to {channel}",
        "message": f"post to {channel}",
        "bookmark": f"add the bookmark “{escape(str(payload.get('title', '')))}”",
        "alert_digest": "post the digest of alert changes",
        "tell": f"send {user} a private message",
        "invite": f"invite {user} to this channel",
        "card": "redraw the triage card",
        "follow_up": "post the triage follow-up",
        "runbook": "post the runbook",
        "action_card": "redraw an action item's card",
        "postmortem": "upload the post-mortem",
        "pin": "put a pinned message on the timeline",
        "upload": f"upload {escape(str(payload.get('filename', 'a file')))} to {channel}",
        "drift": "start the drift analysis the alert asked for",
        "dead_notice": "report work Slack refused",
        "handover_card": "post or redraw a hand-over request",
        "archive": f"archive {channel}",
        "rename": f"rename {channel}",
        "model_card": "post the model's registry card",
        "drill_inject": "post a drill inject",
        "drill_report": "upload the drill report",
        "private_notice": "take the title out of the broadcast announcement",
    }
    return words.get(kind, kind)


def _report_dead(services: Services, work: Work, failure: Failure) -> None:
    """Say in the incident channel what could not be done, while it can take a message."""
    if work.kind == "dead_notice":
        return  # never a notice about a notice
    text = (
        f":warning: Could not {describe(work.kind, work.payload)}: {escape(failure.words)}. "
        f"Nothing else waits on it; an operator can see it with `incidentbot outbox --dead` "
        f"and try it again with `incidentbot outbox retry {work.id}`."
    )
    with services.db.begin() as session:
        enqueue(session, work.incident_id, "dead_notice", text=text)


def _summary(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.refresh_summary(services, incident_id)


def _post(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.post(services.client, payload["channel"], payload["text"])


def _message(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """A message with blocks; no channel means the incident's own."""
    channel = payload.get("channel") or _incident_channel(services, incident_id)
    notify.post(services.client, channel, payload["text"], blocks=payload.get("blocks"))


def _dead_notice(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.post(services.client, _incident_channel(services, incident_id), payload["text"])


def _bookmark(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.bookmark(
        services.client, _incident_channel(services, incident_id), payload["title"], payload["link"]
    )


def _incident_channel(services: Services, incident_id: int) -> str:
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        channel = incident.channel_id if incident is not None else None
    if channel is None:
        raise LookupError(f"incident {incident_id} has no channel yet")
    return channel


def _tell(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.tell(services.client, payload["channel"], payload["user"], payload["text"])


def _invite(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """Into the given channel, or the incident's own as it is when this runs."""
    channel = payload.get("channel") or _incident_channel(services, incident_id)
    notify.invite(services.client, channel, payload["user"])


def _handover_card(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import roles

    roles.draw_request(services, int(payload["request"]))


def _archive(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    notify.archive(services.client, payload["channel"])


def _rename(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    services.client.conversations_rename(channel=payload["channel"], name=payload["name"])


def _model_card(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import contain

    contain.post_card(services, incident_id, payload)


def _drill_inject(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import drills

    drills.post_inject(services, incident_id, payload)


def _drill_report(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import drills

    drills.upload_report(services, incident_id, payload)


def _private_notice(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import privacy

    privacy.redraw_announcement(services, incident_id, payload["channel"], payload["ts"])


def _card(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import triage

    asked = payload.get("asked_at")
    triage.redraw_card(
        services,
        incident_id,
        payload.get("response_url"),
        datetime.fromisoformat(asked) if asked else None,
        payload.get("user"),
    )


def _follow_up(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.slack.flows import triage

    triage.follow_up(services, incident_id)


def _runbook(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    from bot.incidents.triage_questions import Runbook
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
    "dead_notice": _dead_notice,
    "handover_card": _handover_card,
    "archive": _archive,
    "rename": _rename,
    "model_card": _model_card,
    "drill_inject": _drill_inject,
    "drill_report": _drill_report,
    "private_notice": _private_notice,
}
