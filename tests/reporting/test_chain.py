"""The timeline's hash chain: every event is chained as it is written, and `verify`
names the first event that was changed, removed or inserted behind the bot's back."""

from __future__ import annotations

from sqlalchemy import text

from bot.incidents import notes, timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.kinds import EventKind
from bot.incidents.severity import Severity
from bot.reporting.chain import verify
from bot.store.db import Database, make_engine
from bot.store.models import Incident, utcnow


def _incident(db: Database, notes_: int) -> int:
    with db.begin() as session:
        incident = declare(session, Declaration("Scorer flags payments", Severity.SEV1, "U1"))
    for n in range(notes_):  # one transaction each, as people add them
        with db.begin() as session:
            found = session.get(Incident, incident.id)
            assert found is not None
            notes.add_note(session, found, f"note {n}", by="U1")
    return incident.id


def _verdict(db: Database, incident_id: int):  # type: ignore[no-untyped-def]
    with db.begin() as session:
        return verify(session, incident_id)


def test_an_untouched_timeline_holds_and_each_tampering_is_named(db: Database) -> None:
    first, second = _incident(db, 4), _incident(db, 1)
    held = _verdict(db, first)
    assert held.ok and held.events == 5 and held.head != "0" * 64

    with db.begin() as session:  # someone edits a note in the database
        session.execute(
            text("UPDATE timeline_events SET text = 'nothing here' WHERE text = 'note 1'")
        )
        changed_id = session.scalar(
            text("SELECT id FROM timeline_events WHERE text = 'nothing here'")
        )
    verdict = _verdict(db, first)
    assert not verdict.ok and verdict.event_id == changed_id
    assert (
        verdict.problem.startswith(f"event #{changed_id} (Note,")
        and "was changed" in verdict.problem
    )
    assert _verdict(db, second).ok  # another incident's chain is its own

    with db.begin() as session:  # ... puts it back, and removes another
        session.execute(
            text("UPDATE timeline_events SET text = 'note 1' WHERE text = 'nothing here'")
        )
        session.execute(text("DELETE FROM timeline_events WHERE text = 'note 2'"))
    verdict = _verdict(db, first)
    assert not verdict.ok and "was removed" in verdict.problem

    with db.begin() as session:  # a third incident gets an event slipped in
        third = _incident(db, 2)
    with db.begin() as session:
        session.execute(
            text(
                "INSERT INTO timeline_events (incident_id, kind, occurred_at, actor, text, data) "
                "VALUES (:i, 'note', :at, 'U9', 'we knew all along', '{}')"
            ),
            {"i": third, "at": utcnow().replace(tzinfo=None)},
        )
    verdict = _verdict(db, third)
    assert not verdict.ok and "was inserted" in verdict.problem

    # The bot's own removals hold; the last events removed behind its back do not.
    from bot.incidents.notes import PinnedMessage

    incident_id = _incident(db, 1)
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        notes.pin(
            session, incident, PinnedMessage("C1", "1.2", "U2", utcnow(), "p99 up", None), by="U2"
        )
    with db.begin() as session:  # a second person pins it: who keeps it changes, content not
        incident = session.get(Incident, incident_id)
        assert incident is not None
        notes.pin(
            session, incident, PinnedMessage("C1", "1.2", "U2", utcnow(), "p99 up", None), by="U3"
        )
    with db.begin() as session:
        notes.unpin(session, "C1", "1.2", by="U2")
        notes.unpin(session, "C1", "1.2", by="U3")  # the bot takes it off the timeline
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        timeline.record(session, incident, EventKind.NOTE, "after the pin", actor="U1")
    assert _verdict(db, incident_id).ok

    with db.begin() as session:
        session.execute(text("DELETE FROM timeline_events WHERE text = 'after the pin'"))
    verdict = _verdict(db, incident_id)
    assert not verdict.ok and "was removed" in verdict.problem


def test_the_migration_chains_the_events_already_recorded(database_url: str) -> None:
    from alembic import command

    from bot.store.migrate import alembic_config, upgrade

    command.upgrade(alembic_config(database_url), "0021")
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incidents (id, title, severity, status, declared_at, private, "
                "title_shared, drill_paused_seconds, updates_sent) VALUES (7, 'Old one', 'sev2', "
                "'resolved', '2026-07-06 09:10:00', false, false, 0, 0)"
            )
        )
        for n, (kind, data) in enumerate(
            [("declared", "{}"), ("note", '{"b": 1, "a": [1.5, "é"]}'), ("resolved", "{}")], 1
        ):
            conn.execute(
                text(
                    "INSERT INTO timeline_events (incident_id, kind, occurred_at, actor, "
                    "text, data) VALUES (7, :kind, :at, 'U1', :text, :data)"
                ),
                {"kind": kind, "at": f"2026-07-06 09:1{n}:00", "text": f"said {n}", "data": data},
            )
    engine.dispose()
    upgrade(database_url)
    database = Database(database_url)
    try:
        held = _verdict(database, 7)
        assert held.ok and held.events == 3
        with database.begin() as session:  # and the bot goes on from the back-filled head
            incident = session.get(Incident, 7)
            assert incident is not None
            timeline.record(session, incident, EventKind.NOTE, "after the upgrade", actor="U1")
        assert _verdict(database, 7).ok
    finally:
        database.dispose()
