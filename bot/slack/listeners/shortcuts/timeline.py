"""*Add to incident timeline*, the message shortcut: pins a message from any channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app import pins
from bot.app.services import from_context
from bot.slack.listeners.clicks import told_if_failed
from bot.slack.webapi.replies import reply_to

SHORTCUT = "add_to_timeline"


def on_shortcut(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    ack()
    reply = reply_to(body.get("response_url"))
    services.background.submit(told_if_failed, pins.from_shortcut, services, body, reply)


def register(app: App) -> None:
    app.shortcut(SHORTCUT)(on_shortcut)
