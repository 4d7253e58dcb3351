"""*Assess* on the card that offers the serious-incident assessment: opens its form."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.app import reporting as reporting_flow
from bot.app.services import Services
from bot.incidents.errors import InvalidInput
from bot.slack.blocks import serious
from bot.slack.blocks.text import refusal
from bot.slack.listeners import clicks
from bot.slack.webapi.replies import reply_to


def _open(services: Services, body: dict[str, Any], action: dict[str, Any]) -> None:
    reply = reply_to(body.get("response_url"))
    try:
        reporting_flow.open_assessment(
            services,
            body["trigger_id"],
            clicks.channel(body),
            body["user"]["id"],
            reply,
            "click *Assess* again",
        )
    except InvalidInput as problem:
        reply(text=refusal(problem))


on_button = clicks.opening_form(_open)


def register(app: App) -> None:
    app.action(serious.OPEN_ASSESSMENT)(on_button)
