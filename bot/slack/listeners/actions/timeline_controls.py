"""The timeline's controls: the message shortcut, action items' Done, key-time corrections."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.incidents.key_times import CORRECTABLE, KeyTime
from bot.slack import notify
from bot.slack.background import reply_to
from bot.slack.flows import pins
from bot.slack.flows import timeline as timeline_flow
from bot.slack.services import Services, from_context
from bot.slack.views import timeline_page

log = logging.getLogger(__name__)

SHORTCUT = "add_to_timeline"


def on_shortcut(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    ack()
    reply = reply_to(body.get("response_url"))
    services.background.submit(pins.from_shortcut, services, body, reply)


def on_done(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    ack()
    reply = reply_to(body.get("response_url"))
    channel = str((body.get("channel") or {}).get("id", ""))
    ts = str((body.get("container") or {}).get("message_ts", ""))
    try:
        item_id = int(action.get("value") or "")
    except ValueError:
        reply(text="That button is damaged; nothing was changed.")
        return
    user = body["user"]["id"]
    services.background.submit(
        timeline_flow.close_action, services, channel, item_id, ts, user, reply
    )


def on_open(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    ack()  # the form must open within 3 s of the click: the urgent pool
    services.background.submit_urgent(_open, services, body)


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    values = view.get("state", {}).get("values", {})
    changes: dict[KeyTime, datetime] = {}
    for which in CORRECTABLE:
        picked = values.get(which.value, {}).get("value", {}).get("selected_date_time")
        if picked:
            changes[which] = datetime.fromtimestamp(int(picked), UTC)
    reason = str(values.get("reason", {}).get("value", {}).get("value") or "").strip()
    ack()
    metadata = json.loads(view.get("private_metadata") or "{}")
    channel, user = str(metadata.get("channel", "")), body["user"]["id"]
    reply = notify.teller(services.client, channel, user)
    services.background.submit(
        timeline_flow.correct_key_times, services, channel, changes, reason, user, reply
    )


def register(app: App) -> None:
    app.shortcut(SHORTCUT)(on_shortcut)
    app.action(timeline_page.ACTION_DONE)(on_done)
    app.action(timeline_page.KEY_TIMES_OPEN)(on_open)
    app.view(timeline_page.KEY_TIMES_CALLBACK)(on_submit)


def _open(services: Services, body: dict[str, Any]) -> None:
    reply = reply_to(body.get("response_url"))
    channel = str((body.get("channel") or {}).get("id", ""))
    timeline_flow.open_key_times(services, body["trigger_id"], channel, body["user"]["id"], reply)
