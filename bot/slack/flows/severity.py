"""Changing severity: record it, redraw, say what it now expects, tell the broadcast channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.incidents.change_severity import SeverityChange, change_severity
from bot.incidents.severity import Severity
from bot.models import Incident
from bot.slack import notify
from bot.slack.background import Reply
from bot.slack.flows.common import handled
from bot.slack.text import channel_link, escape

if TYPE_CHECKING:
    from bot.slack.services import Services


def change(
    services: Services, channel_id: str, severity: Severity, actor: str, reply: Reply
) -> None:
    done = handled(
        services,
        channel_id,
        lambda session, incident: change_severity(session, incident, severity, by=actor),
        reply,
    )
    if done is None:
        return
    incident_id, result = done
    if not result.changed:
        reply(text=f"The incident is already {severity.label}.")
        return
    announce(services, incident_id, result, actor)


def announce(services: Services, incident_id: int, result: SeverityChange, actor: str) -> None:
    """Redraw and tell the channel and the broadcast channel about a severity change."""
    notify.refresh_summary(services, incident_id)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
    assert incident is not None and incident.channel_id is not None
    info = result.current.info
    verb = "raised" if result.current < result.previous else "lowered"
    notify.post(
        services.client,
        incident.channel_id,
        f"<@{actor}> {verb} the severity from {result.previous.label} to "
        f"{result.current.label} ({info.name}). {info.meaning}\n*Expected now:* {info.expectation}",
    )
    broadcast = services.settings.broadcast_channel
    if broadcast:
        notify.post(
            services.client,
            broadcast,
            f"{incident.reference} {verb} from {result.previous.label} to {result.current.label}:"
            f" {escape(incident.title)} · {channel_link(incident.channel_id)}",
        )
