"""The facilitator's drill controls: Pause/Resume, Next inject now, End drill."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.app import drills as drills_flow
from bot.app.services import Services
from bot.slack.blocks import drill_controls
from bot.slack.listeners import clicks
from bot.slack.webapi.replies import Reply

_CONTROLS = {drill_controls.PAUSE: "pause", drill_controls.NEXT: "next", drill_controls.END: "end"}


def _control(
    services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply
) -> None:
    what = _CONTROLS[action["action_id"]]
    drills_flow.control(services, clicks.channel(body), what, clicks.actor(body), reply)


on_control = clicks.in_background(_control)


def register(app: App) -> None:
    for action_id in _CONTROLS:
        app.action(action_id)(on_control)
