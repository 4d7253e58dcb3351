"""The timeline's buttons: an action item's Done, Create ticket and No ticket, and the one
that opens key-time corrections."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.app import tickets as tickets_flow
from bot.app import timeline as timeline_flow
from bot.app.services import Services
from bot.slack.blocks import timeline_page
from bot.slack.listeners import clicks
from bot.slack.webapi.replies import Reply, reply_to


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


def _item(action: dict[str, Any], reply: Reply) -> int | None:
    try:
        return int(action.get("value") or "")
    except ValueError:
        reply(text=clicks.DAMAGED)
        return None


def _ticket(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    item_id = _item(action, reply)
    if item_id is not None:
        ts = clicks.message_ts(body) or ""
        tickets_flow.ask(services, clicks.channel(body), item_id, clicks.actor(body), reply, ts)


def _no_ticket(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    item_id = _item(action, reply)
    if item_id is not None:
        ts = clicks.message_ts(body) or ""
        tickets_flow.decline(services, clicks.channel(body), item_id, clicks.actor(body), reply, ts)


def _open_key_times(services: Services, body: dict[str, Any], action: dict[str, Any]) -> None:
    reply = reply_to(body.get("response_url"))
    timeline_flow.open_key_times(
        services, body["trigger_id"], clicks.channel(body), clicks.actor(body), reply
    )


on_done = clicks.in_background(_done)
on_ticket = clicks.in_background(_ticket)
on_no_ticket = clicks.in_background(_no_ticket)
on_open_key_times = clicks.opening_form(_open_key_times)


def register(app: App) -> None:
    app.action(timeline_page.ACTION_DONE)(on_done)
    app.action(timeline_page.ACTION_TICKET)(on_ticket)
    app.action(timeline_page.ACTION_NO_TICKET)(on_no_ticket)
    app.action(timeline_page.KEY_TIMES_OPEN)(on_open_key_times)
