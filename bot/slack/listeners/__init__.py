"""Bolt listeners: ``<kind>/<feature>.py``, each with module-level handlers and a
``register(app)`` that only wires them. Handlers find the services in Bolt's
context (``bot.slack.app`` puts them there), so a test can call one directly."""

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


def register_all(app: App) -> None:
    incident_command.register(app)
    forms.register(app)
    incident_controls.register(app)
    reactions.register(app)
    alert_prompts.register(app)
    status_updates.register(app)
    timeline_controls.register(app)
