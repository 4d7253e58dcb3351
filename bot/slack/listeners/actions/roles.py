"""Roles: the summary's role pickers, and the answers to a hand-over request."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.app import roles as roles_flow
from bot.app.services import Services
from bot.incidents.roles import Role
from bot.slack.blocks import handover_request
from bot.slack.blocks.summary import ROLE_SELECT_PREFIX
from bot.slack.listeners import clicks
from bot.slack.webapi.replies import Reply


def _pick(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    role = Role(action["action_id"].removeprefix(ROLE_SELECT_PREFIX))
    user_id = action.get("selected_user")
    if user_id:
        roles_flow.assign(services, clicks.channel(body), role, user_id, clicks.actor(body), reply)


def _answer(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    try:
        request_id = int(action.get("value", ""))
    except ValueError:
        reply(text=clicks.DAMAGED)
        return
    agree = action["action_id"] == handover_request.AGREE
    roles_flow.answer_request(
        services, clicks.channel(body), request_id, agree, clicks.actor(body), reply
    )


on_pick = clicks.in_background(_pick)
on_handover_answer = clicks.in_background(_answer)


def register(app: App) -> None:
    app.action(clicks.starting(ROLE_SELECT_PREFIX))(on_pick)
    app.action(handover_request.AGREE)(on_handover_answer)
    app.action(handover_request.KEEP)(on_handover_answer)
