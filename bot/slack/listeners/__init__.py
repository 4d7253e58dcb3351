"""Bolt listeners, one module per kind, each with ``register(app, services)``."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import (
    actions,
    alert_actions,
    commands,
    events,
    timeline_actions,
    update_actions,
    views,
)
from bot.slack.services import Services


def register_all(app: App, services: Services) -> None:
    commands.register(app, services)
    views.register(app, services)
    actions.register(app, services)
    events.register(app, services)
    alert_actions.register(app, services)
    update_actions.register(app, services)
    timeline_actions.register(app, services)
