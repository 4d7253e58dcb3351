"""The rollback and lever confirmations: the move is made after the ack, and its
outcome said in the channel to the person who confirmed it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app import contain
from bot.app.services import from_context
from bot.slack.blocks import containment_cards as cb
from bot.slack.listeners.clicks import told_if_failed
from bot.slack.listeners.submissions import accepted
from bot.slack.webapi import notify


def on_rollback(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    sent = accepted(ack, lambda v: cb.parse_rollback(v, services.settings.mlflow_alias), view)
    if sent is None:
        return
    user = body["user"]["id"]
    reply = notify.teller(services.client, sent.channel, user)
    services.background.submit(
        told_if_failed,
        contain.roll_back,
        services,
        sent.channel,
        sent.move,
        sent.reason,
        user,
        reply,
    )


def on_lever(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    ack()
    sent = cb.parse_lever(view)
    user = body["user"]["id"]
    reply = notify.teller(services.client, sent.channel, user)
    services.background.submit(
        told_if_failed, contain.pull, services, sent.channel, sent.lever, sent.reason, user, reply
    )


def register(app: App) -> None:
    app.view(cb.ROLLBACK_CALLBACK)(on_rollback)
    app.view(cb.LEVER_CALLBACK)(on_lever)
