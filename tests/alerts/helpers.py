"""Posting alerts to the running bot as a monitor would, and reading what it stored."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from bot.db import Database
from bot.models import AlertDelivery, AlertGroup, Incident, TimelineEvent

ALERT_TOKEN = "alert-token-for-tests"
ALERT_ENV = {"INCIDENTBOT_ALERT_TOKEN": ALERT_TOKEN}


def post_alert(
    bot_url: str, source: str, payload: Any, *, token: str | None = ALERT_TOKEN, **kwargs: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{bot_url}/alerts/{source}", json=payload, headers=headers, timeout=30)


def counts(database_url: str) -> dict[str, int]:
    db = Database(database_url)
    try:
        with db.begin() as session:
            return {
                table.__tablename__: session.scalar(select(func.count()).select_from(table)) or 0
                for table in (AlertDelivery, AlertGroup, Incident)
            }
    finally:
        db.dispose()


def events(database_url: str, incident_id: int) -> list[TimelineEvent]:
    db = Database(database_url)
    try:
        with db.begin() as session:
            return list(
                session.scalars(
                    select(TimelineEvent)
                    .where(TimelineEvent.incident_id == incident_id)
                    .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
                )
            )
    finally:
        db.dispose()
