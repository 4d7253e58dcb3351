"""Clicks on alert messages: Declare incident / Dismiss on a prompt, Resolve on an offer."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app import alerts as alerts_flow
from bot.app import resolution
from bot.app.services import Services, from_context
from bot.slack.blocks import alert_prompt
from bot.slack.listeners import clicks
from bot.slack.webapi.replies import Reply, reply_to

CHOICES = {alert_prompt.DECLARE: "declared", alert_prompt.DISMISS: "dismissed"}


def _decide(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    try:
        group_id = int(action.get("value", ""))
    except ValueError:
        reply(text=clicks.DAMAGED)  # answered after the acknowledgement, never before it
        return
    choice = CHOICES[action["action_id"]]
    alerts_flow.decide(services, group_id, clicks.actor(body), choice, reply)


on_prompt = clicks.in_background(_decide)


def on_resolve(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    ack()
    reply = reply_to(body.get("response_url"))
    channel = str((body.get("channel") or {}).get("id", ""))
    actor = str(body["user"]["id"])
    services.background.submit(
        resolution.resolve_incident,
        services,
        channel,
        actor,
        "Every alert resolved",
        reply,
    )


def register(app: App) -> None:
    app.action(alert_prompt.DECLARE)(on_prompt)
    app.action(alert_prompt.DISMISS)(on_prompt)
    app.action(alert_prompt.RESOLVE)(on_resolve)
