"""Retention: the bulk kept to do the work goes after INCIDENTBOT_RETENTION; the history
(incidents, timelines) and what still needs doing or looking at stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.config import ConfigError, load_settings
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.store import retention
from bot.store.db import Database
from bot.store.models import (
    AlertDelivery,
    ConsoleSession,
    Incident,
    PagerDelivery,
    ReceivedRequest,
    SeenRequest,
    SlackEffect,
    TimelineEvent,
    utcnow,
)

KEEP = timedelta(days=30)


def _count(db: Database, table: object) -> int:
    with db.begin() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


def test_old_finished_bulk_goes_and_history_and_unfinished_work_stay(db: Database) -> None:
    now = utcnow()
    old, recent = now - KEEP - timedelta(days=1), now - timedelta(days=1)
    with db.begin() as session:
        incident = declare(session, Declaration("Old drift", Severity.SEV2, None), now=old)
        incident_id = incident.id
        for at in (old, recent):
            session.add(AlertDelivery(source="generic", body="{}", received_at=at, processed_at=at))
            session.add(SlackEffect(incident_id=incident_id, kind="post", done_at=at))
            session.add(ReceivedRequest(body={"text": "note"}, received_at=at, done_at=at))
            session.add(PagerDelivery(webhook_id=f"w-{at.isoformat()}", body="{}", processed_at=at))
        # Not finished, or dead: kept however old.
        session.add(AlertDelivery(source="generic", body="{}", received_at=old))
        session.add(SlackEffect(incident_id=incident_id, kind="post", dead_at=old))
        session.add(ReceivedRequest(body={"text": "note"}, received_at=old))
        session.add(SeenRequest(key="sig:gone", expires_at=now - timedelta(seconds=1)))
        session.add(SeenRequest(key="sig:live", expires_at=now + timedelta(minutes=4)))
        session.add(ConsoleSession(id="s-old", user_id="U1", started_at=old))
        session.add(ConsoleSession(id="s-today", user_id="U1", started_at=now))
    events = _count(db, TimelineEvent)

    gone = retention.prune(db, KEEP, now=now)

    assert gone == {
        "alert deliveries": 1,
        "finished outbox work": 1,
        "answered requests": 1,
        "pager webhook deliveries": 1,
        "keys of requests seen": 1,
        "console sign-ins": 1,
    }
    assert _count(db, AlertDelivery) == 2 and _count(db, SlackEffect) == 2
    assert _count(db, ReceivedRequest) == 2 and _count(db, PagerDelivery) == 1
    with db.begin() as session:
        assert session.scalars(select(SeenRequest.key)).all() == ["sig:live"]
    assert _count(db, Incident) == 1 and _count(db, TimelineEvent) == events
    assert retention.prune(db, KEEP, now=now) == {}  # nothing left to do


def test_a_long_backlog_goes_in_small_batches(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 10)
    monkeypatch.setattr(retention, "MAX_BATCHES", 3)
    old = utcnow() - KEEP - timedelta(days=1)
    with db.begin() as session:
        for _ in range(45):
            session.add(ReceivedRequest(body={}, received_at=old, done_at=old))
    assert retention.prune(db, KEEP) == {"answered requests": 30}  # three batches a run
    assert retention.prune(db, KEEP) == {"answered requests": 15}
    assert _count(db, ReceivedRequest) == 0


def test_the_retention_setting() -> None:
    base = {"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y"}
    assert load_settings(base).retention == timedelta(days=30)
    assert load_settings({**base, "INCIDENTBOT_RETENTION": "90d"}).retention == timedelta(days=90)
    for bad in ("forever", "0", "30m"):
        with pytest.raises(ConfigError, match="INCIDENTBOT_RETENTION"):
            load_settings({**base, "INCIDENTBOT_RETENTION": bad})
