"""The pinned summary and the channel's topic kept in step with the stored incident.

Redraws hold the incident's lock and read the latest committed state inside it, so
when two changes race, the last redraw shows the last change.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.app.clock_line import summary_part
from bot.app.locks import incident_lock
from bot.app.public_line import public_line
from bot.incidents import notes, provisioning
from bot.paging import page_records
from bot.slack.blocks.kit import render
from bot.slack.blocks.summary import summary_blocks, summary_text, topic
from bot.slack.webapi.notify import pin
from bot.store.models import Incident

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)


def refresh_summary(services: Services, incident_id: int) -> None:
    """Redraw the pinned summary and the topic; repost the summary if it was deleted."""
    client = services.client
    with incident_lock(incident_id):
        with services.db.begin() as session:
            incident = session.get(Incident, incident_id)
            actions = notes.open_actions(session, incident_id) if incident else []
            paged = page_records.of(session, incident_id) if incident else []
            reporting = summary_part(session, services.settings, incident) if incident else None
            public = public_line(session, services.settings, incident) if incident else None
        if incident is None or incident.channel_id is None or incident.summary_ts is None:
            return  # not set up yet: provisioning draws them from the latest state
        channel = incident.channel_id
        summary = render(
            summary_blocks(
                incident,
                services.settings.status_update_every,
                actions,
                services.settings.levers,
                paged,
                reporting,
                public,
            )
        )
        try:
            client.chat_update(
                channel=channel,
                ts=incident.summary_ts,
                text=summary_text(incident),
                blocks=summary,
            )
        except SlackApiError as exc:
            if exc.response.get("error") != "message_not_found":
                raise
            _repost_summary(services, incident, summary)
        client.conversations_setTopic(channel=channel, topic=topic(incident))


def _repost_summary(services: Services, incident: Incident, summary: list[Any]) -> None:
    assert incident.channel_id is not None
    log.info("the summary of %s was gone; posting it again", incident.reference)
    posted = services.client.chat_postMessage(
        channel=incident.channel_id,
        text=summary_text(incident),
        blocks=summary,
        unfurl_links=False,
    )
    ts = str(posted["ts"])
    with services.db.begin() as session:
        stored = session.get(Incident, incident.id)
        if stored is not None:
            provisioning.record_summary(session, stored, ts)
    pin(services.client, incident.channel_id, ts)
