"""A triage answer's note: errors beside the field, or recorded after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app import triage as triage_flow
from bot.app.services import from_context
from bot.slack.blocks import triage_card as tb
from bot.slack.listeners.clicks import told_if_failed
from bot.slack.listeners.submissions import accepted
from bot.slack.webapi import notify


def on_note(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    sent = accepted(ack, tb.parse_note, view)
    if sent is None:
        return
    user = body["user"]["id"]
    reply = notify.teller(services.client, sent.channel, user)
    services.background.submit(
        told_if_failed,
        triage_flow.add_note,
        services,
        sent.channel,
        sent.question,
        sent.note,
        user,
        reply,
    )


def register(app: App) -> None:
    app.view(tb.NOTE_CALLBACK)(on_note)
