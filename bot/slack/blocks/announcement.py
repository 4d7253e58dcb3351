"""The broadcast channel's announcement of an incident (without the title when private)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    SectionBlock,
)

from bot.incidents.severity import Severity
from bot.slack.blocks.kit import md, severity_line
from bot.slack.blocks.summary import declarer_line, private_notice
from bot.slack.blocks.text import channel_link, escape, truncate
from bot.store.models import Incident


def announcement_blocks(incident: Incident) -> list[Block]:
    if incident.drill:
        return [SectionBlock(text=md(drill_notice(incident)))]
    if incident.private:
        return [SectionBlock(text=md(private_notice(incident)))]
    sev = Severity(incident.severity)
    details = [f"Channel: {channel_link(incident.channel_id, incident.channel_name)}"]
    if incident.service:
        details.append(f"Model or service: {escape(incident.service)}")
    if incident.declared_by or incident.detected_by:
        details.append(f"Declared by {declarer_line(incident)}")
    return [
        SectionBlock(
            text=md(
                f"{severity_line(sev)} incident declared: *{escape(incident.title)}*\n"
                f"{sev.info.meaning}\n" + " · ".join(details)
            )
        )
    ]


def drill_notice(incident: Incident) -> str:
    where = "" if incident.private else f" in {channel_link(incident.channel_id)}"
    return (
        f":performing_arts: *DRILL* {incident.reference}: {escape(incident.title)}{where}. "
        "Practice only: nothing is wrong in production."
    )


def announcement_text(incident: Incident) -> str:
    sev = Severity(incident.severity)
    if incident.drill:
        return f"DRILL {incident.reference} started (practice only)"
    if incident.private:
        return f"{sev.label} private incident {incident.reference} declared"
    return truncate(
        f"{sev.label} incident declared: {escape(incident.title)} in "
        f"{channel_link(incident.channel_id, incident.channel_name)}",
        3000,
    )
