"""Status updates: the form's submission, and the buttons that open it (nudges, first notice)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.incidents.errors import InvalidInput
from bot.incidents.status_update import UPDATE_MAX, UpdateKind
from bot.slack import notify
from bot.slack.background import reply_to
from bot.slack.flows import updates
from bot.slack.services import Services, from_context
from bot.slack.text import refusal
from bot.slack.views import update_form

log = logging.getLogger(__name__)


def on_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    ack()  # the form must open within 3 s of the click: the urgent pool
    services.background.submit_urgent(_open, services, body, action)


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    values = view.get("state", {}).get("values", {})
    text = str(values.get("text", {}).get("value", {}).get("value") or "").strip()
    if not text:
        ack(response_action="errors", errors={"text": "Write the update, or press Cancel."})
        return
    if len(text) > UPDATE_MAX:
        ack(
            response_action="errors",
            errors={"text": f"Keep it to {UPDATE_MAX} characters (it has {len(text)})."},
        )
        return
    left = unfilled(view, text)
    if left:
        ack(
            response_action="errors",
            errors={"text": f"Replace or delete the parts in brackets first, e.g. {left}"},
        )
        return
    ack()
    chosen = values.get("stakeholders", {}).get("value", {}).get("selected_conversations")
    metadata = json.loads(view.get("private_metadata") or "{}")
    channel, user = str(metadata.get("channel", "")), body["user"]["id"]
    kind = UpdateKind(metadata.get("kind", UpdateKind.UPDATE.value))
    reply = notify.teller(services.client, channel, user)

    services.background.submit(
        updates.send,
        services,
        channel,
        text,
        user,
        reply,
        kind,
        list(chosen) if isinstance(chosen, list) else None,
    )


def register(app: App) -> None:
    app.action(update_form.OPEN_FORM)(on_button)
    app.view(update_form.UPDATE_CALLBACK)(on_submit)


_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{4,}\]")


def unfilled(view: dict[str, Any], text: str) -> str | None:
    """A [bracketed] prompt of the draft still in the text, word for word."""
    drafted = next(
        (
            str(block.get("element", {}).get("initial_value") or "")
            for block in view.get("blocks", [])
            if block.get("block_id") == "text"
        ),
        "",
    )
    return next((p for p in _PLACEHOLDER.findall(drafted) if p in text), None)


def _open(services: Services, body: dict[str, Any], action: dict[str, Any]) -> None:
    reply = reply_to(body.get("response_url"))
    try:
        value = json.loads(action.get("value") or "{}")
        incident_id, kind = int(value["incident"]), UpdateKind(value["kind"])
    except (ValueError, KeyError, TypeError):
        reply(text="That button is damaged; nothing was changed.")
        return
    channel = str((body.get("channel") or {}).get("id", ""))
    try:
        updates.open_form(services, body["trigger_id"], channel, incident_id, kind, reply)
    except InvalidInput as problem:
        reply(text=refusal(problem))
