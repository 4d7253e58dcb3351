"""What the tracker says back about tickets: its webhooks (each delivery known by its
IDs, so a delivery re-sent changes nothing), a daily poll for what they missed, and
nudges to the owners of overdue items, on the scheduler's clock."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.app import effects
from bot.app.effect_kinds import (
    Post,
    RedrawSummary,
)
from bot.outbox.failures import Refused
from bot.slack.blocks.text import escape, truncate
from bot.store.models import (
    Incident,
    SeenRequest,
    TimelineEvent,
    utcnow,
)
from bot.tracking import tickets
from bot.tracking.tracker import TRACKERS

if TYPE_CHECKING:
    from bot.app.services import Services

from bot.app.tickets import item_words, linked, owe_card, withheld

log = logging.getLogger(__name__)


DELIVERIES_KEPT = timedelta(days=90)  # how long a tracker's delivery is known again


def apply_change(
    services: Services, provider: str, ref: str, done: bool, seen_as: Sequence[str] = ()
) -> str:
    """A ticket changed in the tracker (a webhook, or the poll): a done ticket marks its
    item done. ``seen_as``: the keys that name the delivery (its delivery header, its
    body's own IDs); one seen before means the same change delivered again (a retry, or a
    captured delivery re-sent), which changes nothing. Returns what happened, in words
    for the webhook's answer."""
    if not done:
        return "not done: nothing to change"
    now = utcnow()
    try:
        closed = _close(services, provider, ref, now, seen_as)
    except _DeliveredBefore:
        return "delivered before: ignored"
    if closed is None:
        return "not one of our open tickets: ignored"
    # Said in Slack after the answer: a webhook is not kept waiting on Slack.
    services.background.submit(effects.drain, services, closed.incident_id)
    return "the action item is marked done"


class _DeliveredBefore(Exception):
    """The tracker's change was applied from an earlier delivery."""


def _close(
    services: Services, provider: str, ref: str, now: datetime, seen_as: Sequence[str]
) -> tickets.Closed | None:
    """Mark the item of the done ticket done, with what Slack owes for it, in one
    transaction; None when it is not one of our open tickets."""
    with services.db.begin() as session:
        closed = tickets.close_from_tracker(session, provider, ref, now)
        if closed is None:
            return None
        keys = [f"tracker:{key}"[:96] for key in seen_as]
        if keys and session.scalar(select(SeenRequest.key).where(SeenRequest.key.in_(keys))):
            raise _DeliveredBefore
        session.add_all(SeenRequest(key=key, expires_at=now + DELIVERIES_KEPT) for key in keys)
        incident = session.get(Incident, closed.incident_id)
        item = session.get(TimelineEvent, closed.item_id)
        assert incident is not None and item is not None
        name = TRACKERS.get(provider, provider)
        if incident.channel_id is not None:
            effects.enqueue(
                session,
                incident.id,
                Post(
                    channel=incident.channel_id,
                    text=f":white_check_mark: {escape(closed.key)} is done in {name}, so the "
                    f"action item “{escape(truncate(item_words(item), 200))}” is marked done.",
                ),
            )
            effects.enqueue(session, incident.id, RedrawSummary())
            owe_card(session, incident.id, closed.item_id)
    return closed


def poll(services: Services, now: datetime) -> int:
    """The daily poll: ask the tracker about filed tickets whose check is due (a webhook
    may have been missed). Returns how many items it marked done."""
    tracker = services.tracker
    if tracker is None:
        return 0
    with services.db.begin() as session:
        due = tickets.claim_checks(session, tracker.provider, now)
        refs = [r for r in (tickets.ref_of(row) for row in due) if r]
    if not refs:
        return 0
    try:
        finished = tracker.done(refs)
    except Refused as refused:
        log.warning("asking %s about %d tickets failed: %s", tracker.name, len(refs), refused)
        return 0  # asked again at the next day's check
    return sum(
        1
        for ref in sorted(finished)
        if apply_change(services, tracker.provider, ref, True).endswith("marked done")
    )


# -- overdue nudges -------------------------------------------------------------------------
def nudge_overdue(services: Services, now: datetime) -> int:
    """Tell each overdue item's owner, privately, once a day until it is done."""
    with services.db.begin() as session:
        due = tickets.claim_nudges(session, now)
        sent = 0
        for row in due:
            item = session.get(TimelineEvent, row.item_id)
            incident = session.get(Incident, row.incident_id)
            if item is None or incident is None or row.owner is None or row.due is None:
                continue
            late = (now.date() - row.due).days
            ticket = f" (ticket {linked(row.ticket_key, row.ticket_url)})" if row.ticket_key else ""
            where = (
                "a private incident"
                if withheld(incident)
                else f"{incident.reference}: {escape(truncate(incident.title, 120))}"
            )
            effects.enqueue(
                session,
                incident.id,
                Post(
                    channel=row.owner,
                    text=f":alarm_clock: Your action item from {where} was due "
                    f"{row.due:%a %d %b} ({late} day{'s' if late != 1 else ''} ago){ticket}: "
                    f"“{escape(truncate(item_words(item), 300))}”. Mark it done on its card in "
                    f"{'the incident channel' if incident.channel_id else 'Slack'}"
                    f"{', or close the ticket' if row.ticket_key else ''}.",
                ),
            )
            sent += 1
        owners = {row.incident_id for row in due}
    for incident_id in sorted(owners):
        effects.drain(services, incident_id)
    return sent


def tick(services: Services, now: datetime | None = None) -> int:
    """The follow-up job (the scheduler's clock): the poll and the overdue nudges."""
    now = now or utcnow()
    return poll(services, now) + nudge_overdue(services, now)
