"""Key times read off the timeline, and the Commander's corrections to them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.incidents import key_times, notes, timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.errors import InvalidInput
from bot.incidents.key_times import KeyTime
from bot.incidents.resolve import resolve
from bot.incidents.severity import Severity
from bot.slack.blocks.timeline_page import key_time_fields
from bot.store.db import Database
from bot.store.models import utcnow
from tests.incidents.helpers import load, steering

ALERT = Declaration(
    title="Fraud precision low",
    severity=Severity.SEV1,
    declared_by=None,
    detected_by="Alertmanager: FraudPrecisionLow",
)


def test_an_alert_opened_incident_counts_from_the_alert(db: Database) -> None:
    start = utcnow() - timedelta(hours=4)
    with db.begin() as session:
        incident = declare(session, ALERT, now=start + timedelta(minutes=10))
        incident.detected_at = start
        timeline.record(
            session, incident, "update_nudged", "nudge", when=start + timedelta(minutes=12)
        )
        timeline.record(
            session,
            incident,
            "role_assigned",
            "Bob",
            actor="U2",
            when=start + timedelta(minutes=25),
        )
        timeline.record(
            session, incident, "alerts_all_resolved", "ok", when=start + timedelta(hours=2)
        )
        resolve(session, incident, **steering("U2"), now=start + timedelta(hours=3))
        times = key_times.of(session, incident)
    assert times.at(KeyTime.DETECTED) == start
    assert times[KeyTime.ACKNOWLEDGED].source == "first role assigned"  # not the bot's nudge
    assert [(f.label, f.duration) for f in times.figures()] == [
        ("Time to detect", timedelta(minutes=10)),
        ("Time to acknowledge", timedelta(minutes=25)),
        ("Time to mitigate", timedelta(hours=2)),
        ("Time to resolve", timedelta(hours=3)),
    ]


def test_a_person_declaring_acknowledges_and_mitigation_defaults_to_resolution(
    db: Database,
) -> None:
    with db.begin() as session:
        incident = declare(
            session, Declaration(title="CTR down", severity=Severity.SEV3, declared_by="U1")
        )
        open_times = key_times.of(session, incident)
        assert open_times.at(KeyTime.ACKNOWLEDGED) == incident.declared_at
        assert open_times.at(KeyTime.MITIGATED) is None
        assert open_times[KeyTime.DETECTED].source == "declared; no earlier signal known"
        resolve(session, incident, **steering("U1"))
        times = key_times.of(session, incident)
    assert times.at(KeyTime.MITIGATED) == times.at(KeyTime.RESOLVED)
    assert times[KeyTime.MITIGATED].source == "not recorded: taken as resolved"


def test_corrections_are_events_the_latest_wins_and_impossible_ones_change_nothing(
    db: Database,
) -> None:
    with db.begin() as session:
        incident = declare(
            session, Declaration(title="CTR down", severity=Severity.SEV2, declared_by="U1")
        )
        incident_id, declared_at = incident.id, incident.declared_at
    for bad, reason in (
        ({KeyTime.DETECTED: declared_at + timedelta(hours=1)}, "before the first signal"),
        ({KeyTime.MITIGATED: utcnow() + timedelta(hours=1)}, "cannot be in the future"),
        ({KeyTime.RESOLVED: declared_at}, "not resolved yet"),
        ({KeyTime.DECLARED: declared_at - timedelta(hours=1)}, "cannot be moved"),
    ):
        with pytest.raises(InvalidInput, match=reason), db.begin() as session:
            incident = load(session, incident_id)
            key_times.correct(
                session, incident, key_times.of(session, incident), bad, **steering("U1")
            )
    for minutes in (30, 50):
        with db.begin() as session:
            incident = load(session, incident_id)
            key_times.correct(
                session,
                incident,
                key_times.of(session, incident),
                {KeyTime.DETECTED: declared_at - timedelta(minutes=minutes)},
                **steering("U9"),
                reason="dashboard",
            )
    with db.begin() as session:
        incident = load(session, incident_id)
        times = key_times.of(session, incident)
        kinds = [e.kind for e in timeline.events(session, incident_id)]
    assert kinds.count("key_time_corrected") == 2
    assert times.at(KeyTime.DETECTED) == declared_at - timedelta(minutes=50)
    assert times[KeyTime.DETECTED].corrected_by == "U9"
    assert times.figures()[0].duration == timedelta(minutes=50)


def test_pins_are_kept_while_anyone_still_pins_them(db: Database) -> None:
    with db.begin() as session:
        incident = declare(
            session, Declaration(title="CTR down", severity=Severity.SEV2, declared_by="U1")
        )
        message = notes.PinnedMessage("C1", "1.5", "U2", utcnow(), "look", None)
        assert notes.pin(session, incident, message, by="U1") is not None
        assert notes.pin(session, incident, message, by="U1") is None  # a redelivery
        assert notes.pin(session, incident, message, by="U3") is None  # a second pinner
    with db.begin() as session:
        assert notes.unpin(session, "C1", "1.5", by="U1") is False
        assert notes.unpin(session, "C1", "1.5", by="U3") is True
        assert notes.unpin(session, "C1", "1.5", by="U3") is False
        assert timeline.by_key(session, message.key) is None


def test_a_note_must_have_words_and_fit_a_slack_block(db: Database) -> None:
    with db.begin() as session:
        incident = declare(
            session, Declaration(title="CTR down", severity=Severity.SEV2, declared_by="U1")
        )
        with pytest.raises(InvalidInput, match="needs text"):
            notes.add_note(session, incident, "  \n ", by="U1")
        with pytest.raises(InvalidInput, match="3001 characters"):
            notes.add_note(session, incident, "x" * 3001, by="U1")
        assert notes.add_note(session, incident, " fine ", by="U1").text == "fine"


def test_an_open_incident_shows_times_still_to_come_as_not_yet(db: Database) -> None:
    with db.begin() as session:
        incident = declare(session, ALERT, now=utcnow() - timedelta(minutes=20))
        times = key_times.of(session, incident)
    fields = key_time_fields(times)
    assert "*Mitigated*\n_not yet_" in fields and "*Resolved*\n_not yet_" in fields
    assert not any("(not yet)" in field for field in fields)
    figures = next(f for f in fields if f.startswith("*From the first signal*"))
    assert "Time to resolve: *not yet*" in figures and "not known" not in figures
