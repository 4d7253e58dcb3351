"""Bolt listeners, one module per kind, each with ``register(app, services)``."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.actions import (
    alert_prompts,
    incident_controls,
    status_updates,
    timeline_controls,
)
from bot.slack.listeners.commands import incident_command
from bot.slack.listeners.events import reactions
from bot.slack.listeners.submissions import forms
from bot.slack.services import Services


def register_all(app: App, services: Services) -> None:
    incident_command.register(app, services)
    forms.register(app, services)
    incident_controls.register(app, services)
    reactions.register(app, services)
    alert_prompts.register(app, services)
    status_updates.register(app, services)
    timeline_controls.register(app, services)
