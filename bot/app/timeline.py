"""Notes, action items, the timeline view and key-time corrections, from Slack."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import effects, tickets
from bot.app.common import NOT_AN_INCIDENT, apply
from bot.app.effect_kinds import Invite, Post, PostActionCard, RedrawActionCard, RedrawSummary
from bot.app.requests import ActionArgs
from bot.app.roles import resolve_user
from bot.incidents import key_times, notes, queries, timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act
from bot.reporting import assessment, clock
from bot.slack.blocks import timeline_page
from bot.slack.blocks.kit import render, slack_date
from bot.slack.blocks.text import escape, mention, refusal, truncate
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident, TimelineEvent, TrackedAction, utcnow
from bot.text.rendering import count
from bot.tracking.tracker import TRACKERS

if TYPE_CHECKING:
    from bot.app.services import Services

MINUTE = timedelta(minutes=1)  # Slack's picker shows minutes: less is no correction


def add_note(services: Services, channel: str, text: str, actor: str, reply: Reply) -> None:
    def change(session: Session, incident: Incident) -> None:
        note = notes.add_note(session, incident, text, by=actor)
        effects.enqueue(
            session,
            incident.id,
            Post(channel=channel, text=f":memo: {mention(actor)} noted: {escape(note.text)}"),
        )

    apply(services, channel, change, reply)


def add_action(
    services: Services, channel: str, args: ActionArgs, actor: str, reply: Reply
) -> None:
    owner = resolve_user(services.client, args.owner) if args.owner else None

    def change(session: Session, incident: Incident) -> int:
        item = notes.add_action(
            session, incident, notes.ActionItem(args.text, owner, args.due), by=actor
        )
        session.flush()
        effects.enqueue(session, incident.id, PostActionCard(channel=channel, item_id=item.id))
        # A private channel holds only the declarer and the role holders: an owner
        # is named, not brought in.
        if owner and owner != actor and not incident.private:
            effects.enqueue(session, incident.id, Invite(channel=channel, user=owner))
        effects.enqueue(session, incident.id, RedrawSummary())
        return item.id

    item_id = apply(services, channel, change, reply)
    if item_id is not None and args.ticket:
        tickets.ask(services, channel, item_id, actor, reply)


def card(
    services: Services, session: Session, item: TimelineEvent, closed_by: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """An action item's card as it stands: done or not, and its ticket."""
    done = next((d for i, d in notes.actions(session, item.incident_id) if i.id == item.id), False)
    tracked = session.get(TrackedAction, item.id)
    via = None
    if done:
        closing = session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.incident_id == item.incident_id,
                TimelineEvent.kind == EventKind.ACTION_ITEM_DONE,
            )
        )
        for event in closing:
            if int(event.data.get("item_id", 0)) == item.id:
                closed_by = closed_by or event.actor
                via = event.data.get("via")
    tracker = services.tracker.name if services.tracker is not None else None
    state = timeline_page.TicketState(
        tracker if tracked is None or tracked.provider is None else TRACKERS.get(tracked.provider),
        tracked.ticket if tracked else None,
        tracked.ticket_key if tracked else None,
        tracked.ticket_url if tracked else None,
        via,
    )
    if tracker is None and state.status is None:
        state = timeline_page.TicketState(None)
    text = f"Action item: {escape(str(item.data.get('item', '')))}"
    return text, render(timeline_page.action_blocks(item, done, closed_by, state))


def post_card_owed(services: Services, incident_id: int, effect: PostActionCard) -> None:
    """Post the card and remember where, so a ticket filed later is shown on it."""
    item_id = int(effect.item_id)
    with services.db.begin() as session:
        item = session.get(TimelineEvent, item_id)
        if item is None:
            return
        text, blocks = card(services, session, item)
    ts = notify.post(services.client, effect.channel, text, blocks=blocks)
    with services.db.begin() as session:
        tracked = session.get(TrackedAction, item_id, with_for_update=True)
        if tracked is not None:
            tracked.card_ts = ts


def close_action(
    services: Services, channel: str, item_id: int, ts: str, actor: str, reply: Reply
) -> None:
    def change(session: Session, incident: Incident) -> None:
        notes.close_action(session, incident, item_id, by=actor)
        effects.enqueue(
            session, incident.id, RedrawActionCard(ts=ts, item_id=item_id, closed_by=actor)
        )
        effects.enqueue(session, incident.id, RedrawSummary())

    apply(services, channel, change, reply)


def redraw_action(
    services: Services, channel: str, ts: str, item_id: int, closed_by: str | None
) -> None:
    with services.db.begin() as session:
        item = session.get(TimelineEvent, item_id)
        if item is None:
            return
        text, rendered = card(services, session, item, closed_by)
    services.client.chat_update(channel=channel, ts=ts, text=text, blocks=rendered)


def show(services: Services, channel: str, page: int, reply: Reply) -> None:
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is not None:
            total = timeline.count(session, incident.id)
            shown = timeline.page(session, incident.id, page, timeline_page.PAGE_SIZE)
            times = key_times.of(session, incident, awareness=services.settings.reporting.on)
            blocks = timeline_page.timeline_blocks(incident, shown, times, page=page, total=total)
            text = f"Timeline of {incident.reference}: {count(total, 'event')}"
    if incident is None:
        reply(text=NOT_AN_INCIDENT)
        return
    reply(text=text, blocks=render(blocks))


def open_key_times(
    services: Services, trigger_id: str, channel: str, user: str, reply: Reply
) -> None:
    """The form to correct key times: those ``user`` may move (the Commander's; awareness,
    on an incident assessed serious, also the Legal Liaison's)."""
    refused: str | None = None
    who = services.actor(user)
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is None:
            refused = NOT_AN_INCIDENT
        else:
            times = key_times.of(session, incident, awareness=services.settings.reporting.on)
            aware = key_times.KeyTime.AWARE in times.moments and services.policy.allows(
                Act.AWARENESS, incident, who
            )
            try:
                services.policy.check(Act.KEY_TIMES, incident, who)
            except InvalidInput as problem:
                if not aware:
                    refused = refusal(problem)
                steers = False
            else:
                steers = True
            if refused is None:
                view = timeline_page.key_times_modal(
                    incident, times, channel, steers=steers, aware=aware
                )
    if refused is not None:
        reply(text=refused)
        return
    notify.open_modal(services.client, trigger_id, view, reply)


def correct_key_times(
    services: Services,
    channel: str,
    changes: dict[key_times.KeyTime, datetime],
    reason: str,
    actor: str,
    reply: Reply,
) -> None:
    """The form's corrections, in one transaction: awareness through the reporting rules
    (the Commander or the Legal Liaison, a reason required, the deadline moved), the rest
    through the Commander's key-time rules."""
    who = services.actor(actor)
    others: dict[key_times.KeyTime, datetime] = {
        k: v for k, v in changes.items() if k is not key_times.KeyTime.AWARE
    }
    aware_at = changes.get(key_times.KeyTime.AWARE)

    def change(session: Session, incident: Incident) -> None:
        current = key_times.of(session, incident, awareness=services.settings.reporting.on)
        moved: list[str] = []
        due_said = ""
        was = current.moments.get(key_times.KeyTime.AWARE)
        if aware_at is not None and (
            was is None or was.at is None or abs(aware_at - was.at) >= MINUTE
        ):
            if was is None:
                raise InvalidInput(
                    f"{incident.reference} is not assessed serious: there is no awareness to "
                    "correct."
                )
            if not reason.strip():
                raise InvalidInput(
                    "Say why the provider's awareness moves, in the form's Why: it goes on the "
                    "timeline."
                )
            due = assessment.correct_awareness(
                session,
                incident,
                aware_at,
                reason,
                by=who,
                policy=services.policy,
                now=utcnow(),
                drill_speed=services.settings.drill_speed,
            )
            moved.append(f"{key_times.KeyTime.AWARE.label} to {slack_date(aware_at)}")
            words = clock.due_words(due, utcnow(), drill=bool(incident.drill))
            due_said = f" Serious incident: {escape(words)}."
        recorded = (
            key_times.correct(
                session, incident, current, others, who=who, policy=services.policy, reason=reason
            )
            if others
            else []
        )
        if not recorded and not moved:
            raise InvalidInput("Those are the key times already; nothing changed.")
        if key_times.KeyTime.DETECTED in others:
            incident.detected_at = others[key_times.KeyTime.DETECTED]
        moved[:0] = [
            f"{key_times.KeyTime(e.data['which']).label} to "
            f"{slack_date(datetime.fromisoformat(e.data['at']))}"
            for e in recorded
        ]
        why = f" ({truncate(escape(reason), 300)})" if reason else ""
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=channel,
                text=f":stopwatch: {mention(actor)} corrected {', '.join(moved)}{why}.{due_said}",
            ),
        )
        effects.enqueue(session, incident.id, RedrawSummary())

    apply(services, channel, change, reply)


def redraw_action_owed(services: Services, incident_id: int, effect: RedrawActionCard) -> None:
    redraw_action(
        services,
        effects.incident_channel(services, incident_id),
        effect.ts,
        effect.item_id,
        effect.closed_by,
    )
