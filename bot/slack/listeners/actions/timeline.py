"""The timeline's buttons: an action item's Done, and the one that opens key-time corrections."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.background import Reply, reply_to
from bot.slack.flows import timeline as timeline_flow
from bot.slack.listeners import clicks
from bot.slack.services import Services
from bot.slack.views import timeline_page


def _done(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    try:
        item_id = int(action.get("value") or "")
    except ValueError:
        reply(text=clicks.DAMAGED)
        return
    ts = clicks.message_ts(body) or ""
    timeline_flow.close_action(
        services, clicks.channel(body), item_id, ts, clicks.actor(body), reply
    )


def _open_key_times(services: Services, body: dict[str, Any], action: dict[str, Any]) -> None:
    reply = reply_to(body.get("response_url"))
    timeline_flow.open_key_times(
        services, body["trigger_id"], clicks.channel(body), clicks.actor(body), reply
    )


on_done = clicks.in_background(_done)
on_open_key_times = clicks.opening_form(_open_key_times)


def register(app: App) -> None:
    app.action(timeline_page.ACTION_DONE)(on_done)
    app.action(timeline_page.KEY_TIMES_OPEN)(on_open_key_times)
