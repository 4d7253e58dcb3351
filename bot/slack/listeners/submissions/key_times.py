"""Key-time corrections: checked and recorded after the ack (the domain refuses an
impossible order, and says so in the channel)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app import timeline as timeline_flow
from bot.app.services import from_context
from bot.slack.blocks import timeline_page
from bot.slack.listeners.clicks import told_if_failed
from bot.slack.webapi import notify


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    sent = timeline_page.parse_key_times(view)
    ack()
    user = body["user"]["id"]
    reply = notify.teller(services.client, sent.channel, user)
    services.background.submit(
        told_if_failed,
        timeline_flow.correct_key_times,
        services,
        sent.channel,
        sent.changes,
        sent.reason,
        user,
        reply,
    )


def register(app: App) -> None:
    app.view(timeline_page.KEY_TIMES_CALLBACK)(on_submit)
