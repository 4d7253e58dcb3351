"""The buttons that open the status-update form (on nudges and the first-notice prompt)."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import App

from bot.app import updates
from bot.app.services import Services
from bot.incidents.errors import InvalidInput
from bot.incidents.status_update import UpdateKind
from bot.slack.blocks import update_form
from bot.slack.blocks.text import refusal
from bot.slack.listeners import clicks
from bot.slack.webapi.replies import reply_to


def _open(services: Services, body: dict[str, Any], action: dict[str, Any]) -> None:
    reply = reply_to(body.get("response_url"))
    try:
        value = json.loads(action.get("value") or "{}")
        incident_id, kind = int(value["incident"]), UpdateKind(value["kind"])
    except (ValueError, KeyError, TypeError):
        reply(text=clicks.DAMAGED)
        return
    trigger = body["trigger_id"]
    try:
        updates.open_form(services, trigger, clicks.channel(body), incident_id, kind, reply)
    except InvalidInput as problem:
        reply(text=refusal(problem))


on_button = clicks.opening_form(_open)


def register(app: App) -> None:
    app.action(update_form.OPEN_FORM)(on_button)
