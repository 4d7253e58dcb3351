"""Notes, action items, the timeline view and key-time corrections, from Slack."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.incidents import key_times, notes, queries, timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.permissions import Act
from bot.slack import effects, notify
from bot.slack.background import Reply
from bot.slack.command_parser import ActionArgs
from bot.slack.flows.common import NOT_AN_INCIDENT, apply
from bot.slack.flows.roles import resolve_user
from bot.slack.text import escape, mention, refusal, truncate
from bot.slack.views import timeline_page
from bot.slack.views.kit import render, slack_date
from bot.store.models import Incident, TimelineEvent

if TYPE_CHECKING:
    from bot.slack.services import Services


def add_note(services: Services, channel: str, text: str, actor: str, reply: Reply) -> None:
    def change(session: Session, incident: Incident) -> None:
        note = notes.add_note(session, incident, text, by=actor)
        effects.enqueue(
            session,
            incident.id,
            "post",
            channel=channel,
            text=f":memo: {mention(actor)} noted: {escape(note.text)}",
        )

    apply(services, channel, change, reply)


def add_action(
    services: Services, channel: str, args: ActionArgs, actor: str, reply: Reply
) -> None:
    owner = resolve_user(services.client, args.owner) if args.owner else None

    def change(session: Session, incident: Incident) -> None:
        item = notes.add_action(
            session, incident, notes.ActionItem(args.text, owner, args.due), by=actor
        )
        session.flush()
        effects.enqueue(
            session,
            incident.id,
            "message",
            channel=channel,
            text=f"Action item: {escape(args.text)}",
            blocks=render(timeline_page.action_blocks(item, done=False)),
        )
        # A private channel holds only the declarer and the role holders: an owner
        # is named, not brought in.
        if owner and owner != actor and not incident.private:
            effects.enqueue(session, incident.id, "invite", channel=channel, user=owner)
        effects.enqueue(session, incident.id, "summary")

    apply(services, channel, change, reply)


def close_action(
    services: Services, channel: str, item_id: int, ts: str, actor: str, reply: Reply
) -> None:
    def change(session: Session, incident: Incident) -> None:
        notes.close_action(session, incident, item_id, by=actor)
        effects.enqueue(
            session, incident.id, "action_card", ts=ts, item_id=item_id, closed_by=actor
        )
        effects.enqueue(session, incident.id, "summary")

    apply(services, channel, change, reply)


def redraw_action(
    services: Services, channel: str, ts: str, item_id: int, closed_by: str | None
) -> None:
    with services.db.begin() as session:
        item = session.get(TimelineEvent, item_id)
        if item is None:
            return
        done = any(i.id == item_id and d for i, d in notes.actions(session, item.incident_id))
        rendered = render(timeline_page.action_blocks(item, done, closed_by))
        text = f"Action item: {escape(str(item.data.get('item', '')))}"
    services.client.chat_update(channel=channel, ts=ts, text=text, blocks=rendered)


def show(services: Services, channel: str, page: int, reply: Reply) -> None:
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is not None:
            total = timeline.count(session, incident.id)
            shown = timeline.page(session, incident.id, page, timeline_page.PAGE_SIZE)
            times = key_times.of(session, incident)
            blocks = timeline_page.timeline_blocks(incident, shown, times, page=page, total=total)
            text = f"Timeline of {incident.reference}: {total} events"
    if incident is None:
        reply(text=NOT_AN_INCIDENT)
        return
    reply(text=text, blocks=render(blocks))


def open_key_times(
    services: Services, trigger_id: str, channel: str, user: str, reply: Reply
) -> None:
    refused: str | None = None
    who = services.actor(user)
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is None:
            refused = NOT_AN_INCIDENT
        else:
            try:
                services.policy.check(Act.KEY_TIMES, incident, who)
            except InvalidInput as problem:
                refused = refusal(problem)
            else:
                times = key_times.of(session, incident)
                view = timeline_page.key_times_modal(incident, times, channel)
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
    who = services.actor(actor)

    def change(session: Session, incident: Incident) -> None:
        current = key_times.of(session, incident)
        recorded = key_times.correct(
            session, incident, current, changes, who=who, policy=services.policy, reason=reason
        )
        if not recorded:
            raise InvalidInput("Those are the key times already; nothing changed.")
        if key_times.KeyTime.DETECTED in changes:
            incident.detected_at = changes[key_times.KeyTime.DETECTED]
        moved = ", ".join(
            f"{key_times.KeyTime(e.data['which']).label} to "
            f"{slack_date(datetime.fromisoformat(e.data['at']))}"
            for e in recorded
        )
        why = f" ({truncate(escape(reason), 300)})" if reason else ""
        effects.enqueue(
            session,
            incident.id,
            "post",
            channel=channel,
            text=f":stopwatch: {mention(actor)} corrected {moved}{why}.",
        )
        effects.enqueue(session, incident.id, "summary")

    apply(services, channel, change, reply)


@effects.performs("action_card", "redraw an action item's card")
def _redraw_action_owed(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    redraw_action(
        services,
        effects.incident_channel(services, incident_id),
        payload["ts"],
        payload["item_id"],
        payload.get("closed_by"),
    )
