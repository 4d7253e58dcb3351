"""Resolving from Slack: record it, redraw the summary, tell the channel and the broadcast."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.incidents.resolve import resolve
from bot.models import Incident
from bot.slack import effects
from bot.slack.background import Reply
from bot.slack.flows.common import apply
from bot.slack.text import channel_link, escape

if TYPE_CHECKING:
    from bot.slack.services import Services


def resolve_incident(
    services: Services, channel_id: str, actor: str, summary: str | None, reply: Reply
) -> None:
    def record(session: Session, incident: Incident) -> Incident:
        resolve(session, incident, by=actor, summary=summary)
        why = f"\n>{escape(' '.join(summary.split()))}" if summary and summary.strip() else ""
        effects.enqueue(session, incident.id, "summary")
        effects.enqueue(
            session,
            incident.id,
            "post",
            channel=channel_id,
            text=f":white_check_mark: <@{actor}> resolved {incident.reference}.{why}",
        )
        broadcast = services.settings.broadcast_channel
        if broadcast:
            effects.enqueue(
                session,
                incident.id,
                "post",
                channel=broadcast,
                text=f"{incident.reference} resolved: {escape(incident.title)} · "
                f"{channel_link(incident.channel_id)}",
            )
        return incident

    apply(services, channel_id, record, reply)
