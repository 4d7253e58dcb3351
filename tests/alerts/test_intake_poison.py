"""An alert delivery that cannot be applied never holds back the ones after it: it is
tried again at each sweep, then set aside for an operator, who sees it with its error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.alerts import alertmanager, ingest
from bot.alerts.intake import AlertIntake
from bot.alerts.policy import parse_policy
from bot.app import set_aside
from bot.store.db import Database
from bot.store.models import Incident
from tests.alerts import payloads

POISON = "PoisonedAlert"


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Applying a batch that names ``POISON`` raises (a bug, a value the database
    refuses) every time."""
    apply = ingest._apply

    def failing(session: Any, delivery_id: int, batch: Any, *args: Any) -> Any:
        if any(alert.name == POISON for alert in batch.alerts):
            raise RuntimeError("the database refused the alert")
        return apply(session, delivery_id, batch, *args)

    monkeypatch.setattr(ingest, "_apply", failing)


def run_intake(db: Database, *payloads_: dict[str, Any]) -> None:
    """Start the intake (it takes up what was left), accept ``payloads_``, stop (it
    applies everything accepted first)."""
    intake = AlertIntake(db, parse_policy(None, None), None, lambda *_: None, lambda _: None)
    intake.start()
    for payload in payloads_:
        intake.submit("alertmanager", json.dumps(payload), alertmanager.parse(payload))
    intake.stop()


def incidents(db: Database) -> int:
    with db.begin() as session:
        return int(session.scalar(select(func.count()).select_from(Incident)) or 0)


def test_a_poisoned_alert_is_set_aside_and_the_ones_after_it_are_applied(
    db: Database, poisoned: None
) -> None:
    bad = payloads.alertmanager(
        payloads.am_alert(POISON), group_key='{}:{alertname="PoisonedAlert"}'
    )
    good = payloads.alertmanager()
    run_intake(db, bad, good)
    assert incidents(db) == 1  # the good one, though it came after the bad one
    assert set_aside.listing(db) == []  # tried once: not yet set aside
    for _ in range(ingest.GIVE_UP_AFTER - 1):
        run_intake(db)  # each start takes up what is left, as the sweep does
    (kept,) = set_aside.listing(db)
    assert kept.reference.startswith("alert:") and kept.attempts == ingest.GIVE_UP_AFTER
    assert kept.what == "an alert from Alertmanager"
    assert kept.error == "RuntimeError: the database refused the alert"
    run_intake(db)
    assert set_aside.listing(db)[0].attempts == ingest.GIVE_UP_AFTER  # left alone now
    assert set_aside.retry(db, kept.reference) and set_aside.listing(db) == []
