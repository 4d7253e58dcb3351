"""Ingest against a real database: deduplication held by the database, under concurrency."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts import alertmanager, generic, ingest
from bot.alerts.ingest import Change
from bot.alerts.policy import parse_policy
from bot.incidents.resolve import resolve
from bot.store.db import Database
from bot.store.models import AlertDelivery, AlertGroup, Incident
from tests.alerts import payloads
from tests.incidents.helpers import steering

POLICY = parse_policy(None, None)


def run(db: Database, payload: dict, parse=alertmanager.parse) -> ingest.Disposition:  # type: ignore[no-untyped-def,type-arg]
    changes: list[Change] = []
    delivery = ingest.store(db, "alertmanager", "{}")
    return ingest.process(
        db, delivery, parse(payload), POLICY, None, lambda _s, c: changes.append(c)
    )


def count(db: Database, model: type) -> int:  # type: ignore[type-arg]
    with db.begin() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_ten_deliveries_racing_for_one_new_group_open_one_incident(
    db: Database, database_url: str
) -> None:
    # Each racer has its own engine, as separate bot processes would: nothing in
    # this process keeps them apart, only the database.
    racers = [Database(database_url) for _ in range(10)]
    start = threading.Barrier(10)
    outcomes: list[ingest.Disposition] = []
    errors: list[BaseException] = []

    def deliver(i: int) -> None:
        alerts = [payloads.am_alert(f"A{j}", fingerprint=f"f{j}") for j in range(i + 1)]
        try:
            start.wait()
            outcomes.append(run(racers[i], payloads.alertmanager(*alerts)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for racer in racers:
        racer.dispose()
    assert errors == []
    assert sorted(o.result for o in outcomes).count("declared") == 1
    assert {o.incident_id for o in outcomes} == {1}
    assert (count(db, Incident), count(db, AlertGroup), count(db, AlertDelivery)) == (1, 1, 10)
    with db.begin() as session:
        pending = session.scalar(
            select(func.count())
            .select_from(AlertDelivery)
            .where(AlertDelivery.processed_at.is_(None))
        )
    assert pending == 0


def test_a_resolved_incident_frees_its_group_key(db: Database) -> None:
    first = run(db, payloads.alertmanager())
    assert run(db, payloads.alertmanager()).result == "repeat"
    with db.begin() as session:
        incident = session.get(Incident, first.incident_id)
        assert incident is not None
        resolve(session, incident, **steering("U1"))
    again = run(db, payloads.alertmanager())
    assert again.result == "declared" and again.incident_id != first.incident_id
    with db.begin() as session:
        keys = session.scalars(select(AlertGroup.active_key).order_by(AlertGroup.id)).all()
    assert keys[0] is None and keys[1] is not None


def test_a_resolution_for_a_group_never_seen_is_stored_and_changes_nothing(db: Database) -> None:
    outcome = run(db, payloads.generic(status="resolved"), parse=generic.parse)
    assert outcome.result == "ignored"
    assert (count(db, Incident), count(db, AlertGroup), count(db, AlertDelivery)) == (0, 0, 1)


def test_processing_a_delivery_twice_applies_it_once(db: Database) -> None:
    delivery = ingest.store(db, "alertmanager", "{}")
    batch = alertmanager.parse(payloads.alertmanager())

    def noop(_s: Session, _c: Change) -> None:
        return None

    assert ingest.process(db, delivery, batch, POLICY, None, noop).result == "declared"
    assert ingest.process(db, delivery, batch, POLICY, None, noop).result == "duplicate"
    assert count(db, Incident) == 1


def test_an_alert_opened_post_mortem_names_the_alert_once_and_its_source_properly(
    db: Database,
) -> None:
    from bot.documents.postmortem import assemble, render

    outcome = run(db, payloads.alertmanager())
    with db.begin() as session:
        incident = session.get(Incident, outcome.incident_id)
        assert incident is not None
        text = render(assemble(session, incident), "md").text
        title = incident.title
    assert f"The first signal was an alert: {title} at " in text
    assert f"- Alert {title} (Alertmanager, " in text
    assert "alert: Alertmanager alert fired" not in text and "(alertmanager," not in text
