"""Reading what the bot stored, straight from its database."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db import Database
from bot.models import Incident, TimelineEvent


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
