"""Changing severity: record it, redraw, say what it now expects, tell the broadcast channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.app import effects
from bot.app.common import apply
from bot.app.effect_kinds import Post, RedrawSummary
from bot.app.paging import owing
from bot.incidents import audience, reminders
from bot.incidents.audience import Hearing
from bot.incidents.change_severity import SeverityChange, change_severity
from bot.incidents.severity import Severity
from bot.slack.blocks.text import channel_link, escape
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident

if TYPE_CHECKING:
    from bot.app.services import Services


def change(
    services: Services, channel_id: str, severity: Severity, actor: str, reply: Reply
) -> None:
    who = services.actor(actor)

    def record(session: Session, incident: Incident) -> SeverityChange:
        result = change_severity(session, incident, severity, who=who, policy=services.policy)
        if result.changed:
            enqueue_announcement(services, session, incident, result, actor)
        return result

    result = apply(services, channel_id, record, reply)
    if result is not None and not result.changed:
        reply(text=f"The incident is already {severity.label}.")


def enqueue_announcement(
    services: Services, session: Session, incident: Incident, result: SeverityChange, actor: str
) -> None:
    """What a severity change owes Slack: redraw, tell the channel and the broadcast channel."""
    assert incident.channel_id is not None
    info = result.current.info
    verb = "raised" if result.current < result.previous else "lowered"
    effects.enqueue(session, incident.id, RedrawSummary())
    if verb == "raised":  # raised into a paging severity: the on-call is paged once
        owing.owe_automatic(services, session, incident)
    # Stakeholders of the new severity expect updates on its cadence.
    reminders.schedule_status(session, incident, services.settings.status_update_every)
    effects.enqueue(
        session,
        incident.id,
        Post(
            channel=incident.channel_id,
            text=f"<@{actor}> {verb} the severity from {result.previous.label} to "
            f"{result.current.label} ({info.name}). {info.meaning}\n"
            f"*Expected now:* {info.expectation}",
        ),
    )
    settings = services.settings
    broadcast = audience.announced_in(incident, settings.broadcast_channel, settings.drill_channel)
    if not broadcast:
        return
    moved = f"{incident.reference} {verb} from {result.previous.label} to {result.current.label}"
    said = {
        Hearing.DRILL: f":performing_arts: [DRILL] {moved}.",
        Hearing.PRIVATE: f":lock: Private incident {moved}.",  # never what it is about
        Hearing.PUBLIC: f"{moved}: {escape(incident.title)} · {channel_link(incident.channel_id)}",
    }[audience.hearing(incident)]
    effects.enqueue(session, incident.id, Post(channel=broadcast, text=said))
