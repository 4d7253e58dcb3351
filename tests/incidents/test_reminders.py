"""Reminders as rows: scheduling, rescheduling, claiming, on a real database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.config import parse_status_cadence
from bot.incidents import reminders
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.store.db import Database
from bot.store.models import Incident, Reminder

CADENCE = parse_status_cadence("sev1=30m,sev2=2h,sev3=8h,sev4=0")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday


def open_incident(db: Database, severity: Severity = Severity.SEV1) -> int:
    with db.begin() as session:
        incident = declare(session, Declaration("Fraud model flags", severity, "U1"), now=T0)
        reminders.schedule_status(session, incident, CADENCE, now=T0)
        return incident.id


def pending(db: Database, incident_id: int) -> list[tuple[str, datetime, int]]:
    with db.begin() as session:
        rows = session.scalars(
            select(Reminder)
            .where(Reminder.incident_id == incident_id)
            .where(Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None))
            .order_by(Reminder.due_at)
        )
        return [(r.kind, r.due_at, r.missed) for r in rows]


def test_business_days_skip_the_weekend() -> None:
    assert reminders.add_business_days(T0, 1) == T0 + timedelta(days=3)  # Fri -> Mon
    assert reminders.add_business_days(T0, 5) == T0 + timedelta(days=7)
    assert reminders.add_business_days(T0 + timedelta(days=1), 1).weekday() == 0  # Sat -> Mon


def test_the_first_nudge_is_one_cadence_after_declaring_and_sev4_has_none(db: Database) -> None:
    incident_id = open_incident(db)
    assert pending(db, incident_id) == [("status_update", T0 + timedelta(minutes=30), 0)]
    quiet = open_incident(db, Severity.SEV4)
    assert pending(db, quiet) == []


def test_an_update_restarts_the_clock_and_a_severity_change_reschedules(db: Database) -> None:
    incident_id = open_incident(db)
    later = T0 + timedelta(minutes=20)
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        reminders.update_sent(session, incident, CADENCE, later)
    assert pending(db, incident_id) == [("status_update", later + timedelta(minutes=30), 0)]
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        incident.severity = "sev2"
        reminders.schedule_status(session, incident, CADENCE, now=later)
    assert pending(db, incident_id) == [("status_update", later + timedelta(hours=2), 0)]


def test_a_late_nudge_is_followed_on_cadence_from_now_not_in_a_burst(db: Database) -> None:
    incident_id = open_incident(db)
    down_until = T0 + timedelta(hours=2)  # four nudges fell due meanwhile
    with db.begin() as session:
        (sent,) = reminders.claim_due(session, down_until)
        incident = session.get(Incident, incident_id)
        assert incident is not None
        reminders.follow_nudge(session, incident, sent, CADENCE, down_until)
    assert pending(db, incident_id) == [("status_update", down_until + timedelta(minutes=30), 1)]
    with db.begin() as session:
        assert reminders.claim_due(session, down_until) == []


def test_resolving_stops_nudges_and_books_the_post_mortem_for_sev1_and_sev2(
    db: Database,
) -> None:
    serious, minor = open_incident(db, Severity.SEV1), open_incident(db, Severity.SEV3)
    for incident_id in (serious, minor):
        with db.begin() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            incident.status = "resolved"
            reminders.resolved(session, incident, T0)
    assert pending(db, serious) == [
        ("postmortem_eve", T0 + timedelta(days=6), 0),  # Thursday
        ("postmortem_due", T0 + timedelta(days=7), 0),  # Friday, five business days on
    ]
    assert pending(db, minor) == []


def test_two_claimers_never_take_the_same_reminder(db: Database, database_url: str) -> None:
    ids = [open_incident(db) for _ in range(20)]
    assert len(ids) == 20
    claimers = [Database(database_url) for _ in range(2)]
    taken: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def claim(index: int) -> None:
        start.wait()
        while True:
            with claimers[index].begin() as session:
                got = reminders.claim_due(session, T0 + timedelta(hours=1), limit=3)
                taken[index] += [r.id for r in got]
            if not got:
                return

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for claimer in claimers:
        claimer.dispose()
    everything = taken[0] + taken[1]
    assert len(everything) == len(set(everything)) == 20
