"""Bolt listeners by Bolt's kinds: ``commands/``, ``actions/`` (clicks), ``views/``
(form submissions), ``shortcuts/``, ``events/``; one module a feature, with
module-level handlers and a ``register(app)`` that only wires them. Handlers find
the services in Bolt's context (``bot.app.compose`` puts them there), so a test can
call one directly."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.actions import (
    alert_prompts,
    containment,
    declare_form,
    drills,
    public_resolution,
    roles,
    serious,
    severity,
    status_updates,
    timeline,
    triage,
)
from bot.slack.listeners.commands import incident_command
from bot.slack.listeners.events import reactions
from bot.slack.listeners.shortcuts import timeline as timeline_shortcut
from bot.slack.listeners.submissions import containment as containment_forms
from bot.slack.listeners.submissions import declare, key_times, status_update, triage_note
from bot.slack.listeners.submissions import serious as serious_forms

MODULES = (
    incident_command,
    roles,
    severity,
    triage,
    drills,
    containment,
    alert_prompts,
    status_updates,
    public_resolution,
    timeline,
    declare_form,
    declare,
    containment_forms,
    triage_note,
    status_update,
    key_times,
    serious,
    serious_forms,
    timeline_shortcut,
    reactions,
)


def register_all(app: App) -> None:
    for module in MODULES:
        module.register(app)
