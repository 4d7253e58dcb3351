"""Reading what the bot stored, straight from its database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.store.db import Database
from bot.store.models import Incident, TimelineEvent
from tests.slack_standin import SlackStandIn


def stored_counts(database_url: str) -> tuple[int, int]:
    """(incidents, timeline events) in the bot's database."""
    db = Database(database_url)
    try:
        with db.begin() as session:
            incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
            events = session.scalar(select(func.count()).select_from(TimelineEvent)) or 0
            return incidents, events
    finally:
        db.dispose()


def stored_incidents(database_url: str) -> list[Incident]:
    db = Database(database_url)
    try:
        with db.begin() as session:
            return list(session.scalars(select(Incident).order_by(Incident.id)))
    finally:
        db.dispose()


def timeline_kinds(database_url: str, incident_id: int) -> list[str]:
    db = Database(database_url)
    try:
        with db.begin() as session:
            rows = session.scalars(
                select(TimelineEvent.kind)
                .where(TimelineEvent.incident_id == incident_id)
                .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
            )
            return list(rows)
    finally:
        db.dispose()


def pick_for_role(
    slack: SlackStandIn, bot_url: str, channel: Any, role: str, person: str, *, by: str
) -> str:
    """Pick ``person`` in the pinned summary's select for ``role``; returns the reply key."""
    _, key = slack.block_action(
        bot_url,
        user=by,
        channel=channel.id,
        message_ts=channel.pins[0],
        action={"action_id": f"role_select:{role}", "selected_user": person},
    )
    return key


def open_key_times(
    slack: SlackStandIn, bot_url: str, channel: Any, reply: dict[str, Any], user: str
) -> str:
    """Click *Correct key times* on a ``/incident timeline`` reply; returns the reply key."""
    _, key = slack.block_action(
        bot_url,
        user=user,
        channel=channel.id,
        message_ts="",
        message=reply,
        action={"action_id": "key_times_open"},
    )
    return key


def mark_resolved(database_url: str, incident_id: int) -> None:
    """Resolve an incident straight in the database, for tests about what follows."""
    db = Database(database_url)
    try:
        with db.begin() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            incident.status = "resolved"
    finally:
        db.dispose()
