"""Sending the reminders that fall due: status-update nudges and post-mortem reminders.

Runs on the scheduler's clock. Each tick claims the due rows and, in the same
transaction, writes what they say to the outbox and schedules what follows,
then performs the outbox. A nudge nobody answered is followed by the next on
cadence; at the second unanswered one the Commander hears too.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import effects, status_page
from bot.app.effect_kinds import HandoverCard, Message, Post, Tell
from bot.app.paging import escalation
from bot.app.updates import holder_for_updates
from bot.incidents import handover, reminders, timeline
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.incidents.status_update import has_update
from bot.paging import ladder
from bot.slack.blocks import update_form
from bot.slack.blocks.kit import render
from bot.store.models import Incident, Reminder, TimelineEvent, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

TELL_COMMANDER_AFTER = 2  # unanswered nudges
NOT_AHEAD = timedelta(0)


def tick(services: Services, now: datetime | None = None, *, ahead: timedelta = NOT_AHEAD) -> int:
    """Send what is due at ``now`` (the scheduler's clock: the current time unless a
    caller says otherwise); returns how many reminders went out.

    ``ahead`` (the sandbox's skip) also sends what falls due that much later. Only
    what is due is judged at the later time: what is sent is recorded, stamped and
    followed up at ``now``, so a timeline never holds an event before it happened."""
    now = now or utcnow()
    due_by = now + ahead
    with services.db.begin() as session:
        due = reminders.claim_due(session, now, due_by=due_by)
        owners = set()
        for reminder in due:
            incident = session.get(Incident, reminder.incident_id)
            if incident is None:
                continue
            if reminder.kind == reminders.STATUS:
                _nudge(services, session, incident, reminder, now)
            elif reminder.kind == ladder.ESCALATE:
                escalation.escalate_due(services, session, incident, reminder, now)
            elif reminder.kind == handover.LAPSE:
                for request in handover.lapse_due(session, incident, now, due_by=due_by):
                    effects.enqueue(session, incident.id, HandoverCard(request=request.id))
            elif reminder.kind == reminders.PUBLIC_RESOLUTION:
                status_page.remind_resolution(services, session, incident, reminder, now)
            else:
                _postmortem(session, incident, reminder)
            owners.add(incident.id)
    for incident_id in sorted(owners):
        effects.drain(services, incident_id)
    return len(due)


def _nudge(
    services: Services, session: Session, incident: Incident, sent: Reminder, now: datetime
) -> None:
    cadence = services.settings.status_update_every
    period = reminders.cadence_of(cadence, incident)
    if not incident.is_open or period is None or incident.channel_id is None:
        return
    who = holder_for_updates(incident)
    unanswered = sent.missed + 1
    first = not has_update(session, incident.id)
    effects.enqueue(
        session,
        incident.id,
        Message(
            channel=incident.channel_id,
            text=f"A status update for {incident.reference} is due.",
            blocks=render(update_form.nudge_blocks(incident, who, period, unanswered, first)),
        ),
    )
    timeline.record(
        session,
        incident,
        EventKind.UPDATE_NUDGED,
        f"Status update due (unanswered nudges: {unanswered})",
        when=now,
        addressed_to=who,
        unanswered=unanswered,
    )
    commander = incident.holder(Role.COMMANDER)
    if unanswered >= TELL_COMMANDER_AFTER:
        text = (
            f"{incident.reference} has had no status update for {unanswered} reminders in a "
            f"row; "
            + (
                f"stakeholders last heard at {incident.last_update_at:%H:%M UTC}."
                if incident.last_update_at
                else "stakeholders have heard nothing yet."
            )
            + " Make sure someone holds the Comms Lead role and sends one."
        )
        if commander and commander != who:
            effects.enqueue(
                session, incident.id, Tell(channel=incident.channel_id, user=commander, text=text)
            )
        elif commander is None:
            effects.enqueue(session, incident.id, Post(channel=incident.channel_id, text=text))
    reminders.follow_nudge(session, incident, sent, cadence, now)


def postmortem_published(session: Session, incident_id: int) -> bool:
    """Whether a post-mortem was published after resolution (a draft does not count)."""
    published = session.scalars(
        select(TimelineEvent.data).where(
            TimelineEvent.incident_id == incident_id,
            TimelineEvent.kind == EventKind.POSTMORTEM_PUBLISHED,
        )
    )
    return any(not data.get("draft") for data in published)


def _postmortem(session: Session, incident: Incident, reminder: Reminder) -> None:
    if postmortem_published(session, incident.id):
        return  # written already
    if incident.channel_id is None:
        return
    when = "today" if reminder.kind == reminders.POSTMORTEM_DUE else "tomorrow"
    text = (
        f"The blameless post-mortem for {incident.reference} ({incident.severity.upper()}, "
        f"resolved {incident.resolved_at:%a %d %b}) is due {when}: summary, impact in business "
        "terms, timeline, detection, response, root cause (five whys), data and model "
        "lineage, what went well and badly, action items with owners and dates."
    )
    commander = incident.holder(Role.COMMANDER)
    if commander:
        effects.enqueue(
            session, incident.id, Tell(channel=incident.channel_id, user=commander, text=text)
        )
    else:
        effects.enqueue(session, incident.id, Post(channel=incident.channel_id, text=text))
    timeline.record(
        session, incident, EventKind.POSTMORTEM_REMINDED, f"Post-mortem reminder ({when})", due=when
    )
