"""The status-update form: errors beside the text, or the update sent after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app import updates
from bot.app.services import from_context
from bot.slack.blocks import update_form
from bot.slack.listeners.submissions import accepted
from bot.slack.webapi import notify


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    sent = accepted(ack, update_form.parse_submission, view)
    if sent is None:
        return
    user = body["user"]["id"]
    reply = notify.teller(services.client, sent.channel, user)
    services.background.submit(
        updates.send, services, sent.channel, sent.text, user, reply, sent.kind, sent.stakeholders
    )


def register(app: App) -> None:
    app.view(update_form.UPDATE_CALLBACK)(on_submit)
