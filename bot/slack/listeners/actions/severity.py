"""The summary's severity select."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.app import severity as severity_flow
from bot.app.services import Services
from bot.incidents.severity import Severity, parse_severity
from bot.slack.blocks.summary import SEVERITY_SELECT
from bot.slack.listeners import clicks
from bot.slack.webapi.replies import Reply


def _pick(services: Services, body: dict[str, Any], action: dict[str, Any], reply: Reply) -> None:
    chosen = parse_severity((action.get("selected_option") or {}).get("value", ""))
    if chosen is not None:
        severity_flow.change(
            services, clicks.channel(body), Severity(chosen), clicks.actor(body), reply
        )


on_pick = clicks.in_background(_pick)


def register(app: App) -> None:
    app.action(SEVERITY_SELECT)(on_pick)
