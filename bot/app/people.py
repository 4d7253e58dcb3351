"""People as Slack names them, for what is read outside Slack (the command line's
documents)."""

from __future__ import annotations

from bot.config import Settings
from bot.slack.webapi import notify
from bot.slack.webapi.client import make_client


def display_names(settings: Settings, people: set[str]) -> dict[str, str]:
    """Display names asked of Slack with the bot's token; a person Slack does not answer
    for is left out, so the document shows their ID."""
    return notify.display_names(make_client(settings), people)
