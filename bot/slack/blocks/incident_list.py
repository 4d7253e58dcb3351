"""``/incident list``: the open incidents a person may see."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    SectionBlock,
)

from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.slack.blocks.kit import MAX_BLOCKS, SEVERITY_EMOJI, md, slack_date, status_label
from bot.slack.blocks.text import channel_link, escape, mention
from bot.store.models import Incident


def list_blocks(incidents: Sequence[Incident], total: int) -> list[Block]:
    if not incidents:
        return [SectionBlock(text=md("No open incidents. :white_check_mark:"))]
    blocks: list[Block] = [SectionBlock(text=md(f"*Open incidents: {total}*"))]
    shown = list(incidents)[: MAX_BLOCKS - 2]
    for incident in shown:
        sev = Severity(incident.severity)
        commander = incident.holder(Role.COMMANDER)
        blocks.append(
            SectionBlock(
                text=md(
                    f"{SEVERITY_EMOJI[sev]} *{sev.label}* "
                    f"{':performing_arts: DRILL ' if incident.drill else ''}{incident.reference} "
                    f"{channel_link(incident.channel_id, incident.channel_name)}: "
                    f"{escape(incident.title)}\n"
                    f"{status_label(incident.status)} · "
                    f"declared {slack_date(incident.declared_at)} · "
                    f"Commander: {mention(commander)}"
                )
            )
        )
    if total > len(shown):
        blocks.append(ContextBlock(elements=[md(f"…and {total - len(shown)} more.")]))
    return blocks
