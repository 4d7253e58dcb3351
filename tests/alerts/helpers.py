"""Posting alerts to the running bot as a monitor would, and reading what it stored."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.store.db import Database
from bot.store.models import AlertDelivery, AlertGroup, Incident, TimelineEvent
from tests.support import BotProcess

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


def events(
    database_url: str, incident_id: int | None = None, kind: str | None = None
) -> list[TimelineEvent]:
    """Timeline events in the bot's database, oldest first: one incident's, or one kind's."""
    db = Database(database_url)
    try:
        with db.begin() as session:
            query = select(TimelineEvent).order_by(TimelineEvent.occurred_at, TimelineEvent.id)
            if incident_id is not None:
                query = query.where(TimelineEvent.incident_id == incident_id)
            if kind is not None:
                query = query.where(TimelineEvent.kind == kind)
            return list(session.scalars(query))
    finally:
        db.dispose()


def deliver(bot: BotProcess, source: str, payload: Any, timeout: float = 20) -> dict[str, Any]:
    """Post as a monitor would, then wait for the intake to apply the delivery.

    Returns what it did: {"delivery", "result", "incident": "INC-n" or None}.
    """
    response = post_alert(bot.url, source, payload)
    assert response.status_code == 202, response.text
    delivery_id = response.json()["delivery"]
    db = Database(bot.database_url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with db.begin() as session:
                delivery = session.get(AlertDelivery, delivery_id)
                assert delivery is not None  # stored before the 202
                if delivery.processed_at is not None:
                    group = (
                        session.get(AlertGroup, delivery.group_id) if delivery.group_id else None
                    )
                    incident = group.incident_id if group is not None else None
                    return {
                        "delivery": delivery_id,
                        "result": delivery.outcome,
                        "incident": f"INC-{incident}" if incident else None,
                    }
            time.sleep(0.02)
    finally:
        db.dispose()
    raise AssertionError(f"delivery {delivery_id} was not applied within {timeout}s")


def applied(database_url: str, expected: int, timeout: float = 20) -> list[tuple[str, int | None]]:
    """Wait until ``expected`` deliveries are applied; (outcome, incident id) of each, in order."""
    db = Database(database_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with db.begin() as session:
                rows = session.execute(
                    select(AlertDelivery.outcome, AlertGroup.incident_id)
                    .outerjoin(AlertGroup, AlertGroup.id == AlertDelivery.group_id)
                    .where(AlertDelivery.processed_at.is_not(None))
                    .order_by(AlertDelivery.id)
                ).all()
            if len(rows) >= expected or time.monotonic() > deadline:
                return [(row[0], row[1]) for row in rows]
            time.sleep(0.05)
    finally:
        db.dispose()
