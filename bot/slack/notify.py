"""Slack calls that keep an incident's channel in step with its stored state."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.models import Incident
from bot.slack import blocks


def refresh_summary(client: WebClient, incident: Incident) -> None:
    """Redraw the pinned summary and the topic from the incident's current state."""
    if incident.channel_id is None:
        return  # not set up yet: provisioning draws them from the latest state
    if incident.summary_ts:
        client.chat_update(
            channel=incident.channel_id,
            ts=incident.summary_ts,
            text=blocks.summary_text(incident),
            blocks=blocks.render(blocks.summary_blocks(incident)),
        )
    client.conversations_setTopic(channel=incident.channel_id, topic=blocks.topic(incident))


def post(client: WebClient, channel: str, text: str) -> None:
    client.chat_postMessage(channel=channel, text=text, unfurl_links=False, unfurl_media=False)
