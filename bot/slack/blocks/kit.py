"""Block Kit basics every surface shares: Slack's limits, mrkdwn sections, severity marks, dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    MarkdownTextObject,
    Option,
)

from bot.incidents.severity import Severity
from bot.slack.blocks.text import truncate

MAX_BLOCKS = 50


SECTION_TEXT_MAX = 3000


FIELD_MAX = 2000


HEADER_MAX = 150


TOPIC_MAX = 250


SEVERITY_EMOJI = {
    Severity.SEV1: ":red_circle:",
    Severity.SEV2: ":large_orange_circle:",
    Severity.SEV3: ":large_yellow_circle:",
    Severity.SEV4: ":large_blue_circle:",
}


def md(text: str, limit: int = SECTION_TEXT_MAX) -> MarkdownTextObject:
    """mrkdwn that Slack shows as written: no auto-linking, no mention parsing."""
    return MarkdownTextObject(text=truncate(text, limit), verbatim=True)


def render(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Validate and serialise; raises if a block breaks Slack's limits."""
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks; Slack allows {MAX_BLOCKS} in a message")
    return [block.to_dict() for block in blocks]


def status_label(status: str) -> str:
    return status.replace("-", " ").capitalize()


def severity_line(severity: Severity) -> str:
    info = severity.info
    return f"{SEVERITY_EMOJI[severity]} *{severity.label} · {info.name}*"


def severity_options() -> list[Option]:
    return [
        Option(
            value=sev.value,
            text=f"{sev.label} · {sev.info.name}",
            description=truncate(sev.info.meaning, 75),
        )
        for sev in Severity
    ]


def slack_date(when: datetime) -> str:
    """A time every reader sees in their own time zone."""
    epoch = int(when.timestamp())
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"
