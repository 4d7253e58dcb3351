"""``/incident help``."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    SectionBlock,
)

from bot.documents.templating import render_text
from bot.incidents.severity import Severity
from bot.slack.blocks.kit import md
from bot.slack.blocks.text import escape


def help_text() -> str:
    # "<sev>" and "<title>" in the help are placeholders to read, not Slack's tokens.
    return escape(render_text("slack/help.md.j2", severities=list(Severity)))


def help_blocks() -> list[Block]:
    return [SectionBlock(text=md(help_text()))]
