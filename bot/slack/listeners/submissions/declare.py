"""The declare form's submission: errors beside the field, or declare after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app.open_incident import declare_and_open
from bot.app.services import from_context
from bot.slack.blocks import forms
from bot.slack.blocks.declare_form import DECLARE_CALLBACK, parse_submission
from bot.slack.listeners.clicks import told_if_failed
from bot.slack.listeners.submissions import accepted
from bot.slack.webapi.replies import reply_to


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    declaration = accepted(ack, lambda v: parse_submission(v, body["user"]["id"]), view)
    if declaration is None:
        return
    reply = reply_to(forms.metadata(view).get("response_url"))
    services.background.submit(told_if_failed, declare_and_open, services, declaration, reply)


def register(app: App) -> None:
    app.view(DECLARE_CALLBACK)(on_submit)
