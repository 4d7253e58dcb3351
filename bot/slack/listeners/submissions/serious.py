"""The serious-incident assessment form: refused beside a field within the
acknowledgement, else recorded after it (the domain checks who may assess)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app import reporting as reporting_flow
from bot.app.services import from_context
from bot.slack.blocks import forms, serious
from bot.slack.listeners.clicks import told_if_failed
from bot.slack.listeners.submissions import accepted
from bot.slack.webapi import notify


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    carried = forms.metadata(view)
    channel = str(carried.get("channel") or "")
    if not services.settings.reporting.on or not channel:
        ack(response_action="update", view=forms.unreadable().to_dict())
        return
    regime = services.settings.reporting.regime
    answers = accepted(ack, lambda v: serious.parse_assessment(v, regime), view)
    if answers is None:
        return
    user = body["user"]["id"]
    reply = notify.teller(services.client, channel, user)
    services.background.submit(
        told_if_failed, reporting_flow.submit_assessment, services, channel, answers, user, reply
    )


def register(app: App) -> None:
    app.view(serious.ASSESS_CALLBACK)(on_submit)
