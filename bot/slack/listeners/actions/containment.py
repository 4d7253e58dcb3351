"""Containment cards: the model card's change proposal, Roll back and Undo, the
Contain menu and a lever's Undo."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.app import contain
from bot.app.services import Services
from bot.slack.blocks import containment_cards as cb
from bot.slack.blocks.summary import CONTAIN_SELECT
from bot.slack.listeners import clicks
from bot.slack.webapi.replies import Reply, reply_to


def _model_changed(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    value = str(action.get("value", ""))
    contain.confirm_change(services, clicks.channel(body), value, clicks.actor(body), reply)


def _undo_rollback(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    value = str(action.get("value", ""))
    contain.undo_rollback(services, clicks.channel(body), value, clicks.actor(body), reply)


def _undo_lever(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    lever = str(action.get("value", ""))
    contain.pull(
        services, clicks.channel(body), lever, "undo", clicks.actor(body), reply, undo=True
    )


def _open_form(services: Services, body: dict[str, Any], action: dict[str, Any]) -> None:
    reply = reply_to(body.get("response_url"))
    trigger, channel, actor = (
        str(body.get("trigger_id", "")),
        clicks.channel(body),
        clicks.actor(body),
    )
    if action["action_id"] == cb.ROLLBACK_OPEN:
        model = str(action.get("value", "")) or None
        contain.open_rollback(services, trigger, channel, actor, model, None, reply)
    else:
        lever = str((action.get("selected_option") or {}).get("value", ""))
        contain.open_lever(services, trigger, channel, lever, actor, reply)


on_model_changed = clicks.in_background(_model_changed)
on_undo_rollback = clicks.in_background(_undo_rollback)
on_undo_lever = clicks.in_background(_undo_lever)
on_open_form = clicks.opening_form(_open_form)


def register(app: App) -> None:
    app.action(cb.MODEL_CHANGED)(on_model_changed)
    app.action(cb.ROLLBACK_UNDO)(on_undo_rollback)
    app.action(cb.LEVER_UNDO)(on_undo_lever)
    app.action(cb.ROLLBACK_OPEN)(on_open_form)
    app.action(CONTAIN_SELECT)(on_open_form)
