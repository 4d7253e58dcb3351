"""What events leave behind on their incident (bot.incidents.facts), as the review reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.incidents import timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.incidents.status_update import UpdateKind, post_update
from bot.store.db import Database
from bot.store.models import Incident

START = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)
CADENCE = {"sev2": timedelta(hours=2)}


def test_late_updates_are_counted_only_where_the_timing_is_known(db: Database) -> None:
    with db.begin() as session:
        timed = declare(session, Declaration("Timed", Severity.SEV2, declared_by=None), now=START)
        untimed = declare(session, Declaration("Older", Severity.SEV2, declared_by=None), now=START)
        untimed.updates_late = None  # as migration 0013 leaves incidents recorded before it
        session.flush()
        for incident in (timed, untimed):
            for hours in (1, 4):  # on time, then 3 h after the first: late
                when = START + timedelta(hours=hours)
                post_update(
                    session,
                    incident,
                    "news",
                    by="U1",
                    kind=UpdateKind.UPDATE,
                    cadence=CADENCE,
                    now=when,
                )
        ids = timed.id, untimed.id
    with db.begin() as session:
        timed, untimed = (session.get(Incident, i) for i in ids)
        assert timed is not None and untimed is not None
        assert (timed.updates_sent, timed.updates_late) == (2, 1)
        assert (untimed.updates_sent, untimed.updates_late) == (2, None)
        assert timed.first_notice_at == START + timedelta(hours=1)
        assert timed.acknowledged_at == START + timedelta(hours=1)  # the first person at work


def test_the_earliest_event_wins_whatever_order_they_are_recorded_in(db: Database) -> None:
    with db.begin() as session:
        incident = declare(
            session, Declaration("Alerts", Severity.SEV2, declared_by=None), now=START
        )
        session.flush()
        for minutes in (30, 10, 20):
            timeline.record(
                session, incident, "alert_fired", "x", when=START - timedelta(minutes=minutes)
            )
        timeline.record(session, incident, "note", "before", actor="U1", when=START - timedelta(1))
        timeline.record(
            session,
            incident,
            "containment_run",
            "failed",
            actor="U1",
            when=START + timedelta(minutes=5),
            ok=False,
        )
        timeline.record(
            session,
            incident,
            "model_rolled_back",
            "ok",
            actor="U1",
            when=START + timedelta(minutes=9),
        )
        assert incident.first_alert_at == START - timedelta(minutes=30)
        assert incident.acknowledged_at == START + timedelta(minutes=5)  # not the note before
        assert incident.mitigated_at == START + timedelta(minutes=9)  # not the failed lever
