"""Triage and runbook records on the timeline, on a migrated database."""

import pytest
from sqlalchemy import select

from bot.incidents import runbooks, triage_state
from bot.incidents.declare import Declaration, declare
from bot.incidents.errors import InvalidInput
from bot.incidents.severity import Severity
from bot.incidents.triage_questions import QUESTIONS
from bot.store.db import Database
from bot.store.models import TimelineEvent
from tests.incidents.helpers import load, steering
from tests.samples import TRIAGE_ANSWERS

ANSWERS = TRIAGE_ANSWERS


@pytest.fixture
def incident_id(db: Database) -> int:
    with db.begin() as session:
        return declare(
            session, Declaration("Churn model precision dropped", Severity.SEV3, "U1")
        ).id


def kinds(db: Database, incident_id: int) -> list[str]:
    with db.begin() as session:
        return list(
            session.scalars(
                select(TimelineEvent.kind)
                .where(TimelineEvent.incident_id == incident_id)
                .order_by(TimelineEvent.id)
            )
        )


def test_latest_answer_wins_and_repeats_record_nothing(db: Database, incident_id: int) -> None:
    with db.begin() as session:
        incident = load(session, incident_id)
        assert triage_state.answer(session, incident, "serving", "unknown", by="U1")
        assert triage_state.answer(session, incident, "serving", "yes", by="U2")
        assert not triage_state.answer(session, incident, "serving", "yes", by="U3")
        triage_state.add_note(session, incident, "serving", "p99 latency normal", by="U2")
    with db.begin() as session:
        state = triage_state.current(session, incident_id)["serving"]
        assert (state.answer, state.by, state.note) == ("yes", "U2", "p99 latency normal")
    assert kinds(db, incident_id).count("triage_answered") == 2


@pytest.mark.parametrize(("question", "value"), [("serving", "maybe"), ("weather", "yes")])
def test_answers_outside_the_choices_are_refused(
    db: Database, incident_id: int, question: str, value: str
) -> None:
    with pytest.raises(InvalidInput, match="not one of the offered choices"), db.begin() as s:
        incident = load(s, incident_id)
        triage_state.answer(s, incident, question, value, by="U1")


def test_notes_must_say_something_short(db: Database, incident_id: int) -> None:
    for note, message in (("   ", "empty"), ("x" * 501, "500 characters")):
        with pytest.raises(InvalidInput, match=message), db.begin() as session:
            incident = load(session, incident_id)
            triage_state.add_note(session, incident, "alert", note, by="U1")


def test_a_complete_triage_is_proposed_once_and_accepting_applies_it(
    db: Database, incident_id: int
) -> None:
    with db.begin() as session:
        incident = load(session, incident_id)
        for key, value in ANSWERS.items():
            triage_state.answer(session, incident, key, value, by="U1")
        result = triage_state.assessment(session, incident)
        assert result.complete and result.proposal is not None
        assert triage_state.propose(session, incident, result.proposal)
        assert not triage_state.propose(session, incident, result.proposal)  # same again
        change = triage_state.accept(session, incident, **steering("U2"))
        assert (change.previous, change.current) == (Severity.SEV3, Severity.SEV2)
        assert incident.failure_category == "data-drift"
    assert kinds(db, incident_id)[-3:] == [
        "triage_proposed",
        "severity_changed",
        "triage_proposal_accepted",
    ]
    assert kinds(db, incident_id).count("triage_answered") == len(QUESTIONS)


def test_accepting_without_a_proposal_is_refused(db: Database, incident_id: int) -> None:
    with pytest.raises(InvalidInput, match="no triage proposal"), db.begin() as session:
        incident = load(session, incident_id)
        triage_state.accept(session, incident, **steering("U1"))


def test_a_resolved_incident_takes_no_more_triage_or_ticks(db: Database, incident_id: int) -> None:
    with db.begin() as session:
        incident = load(session, incident_id)
        incident.status = "resolved"
    with pytest.raises(InvalidInput, match="resolved"), db.begin() as session:
        incident = load(session, incident_id)
        triage_state.answer(session, incident, "serving", "no", by="U1")
    with pytest.raises(InvalidInput, match="resolved"), db.begin() as session:
        incident = load(session, incident_id)
        runbooks.set_item(session, incident, "model-degradation", ("a",), 0, True, by="U1")


def test_runbook_ticks_and_unticks(db: Database, incident_id: int) -> None:
    items = ("first", "second", "third")
    with db.begin() as session:
        incident = load(session, incident_id)
        assert runbooks.set_item(session, incident, "rb", items, 2, True, by="U1")
        assert not runbooks.set_item(session, incident, "rb", items, 2, True, by="U1")
        assert runbooks.set_item(session, incident, "rb", items, 0, True, by="U1")
        assert runbooks.set_item(session, incident, "rb", items, 2, False, by="U2")
        with pytest.raises(InvalidInput, match="does not exist"):
            runbooks.set_item(session, incident, "rb", items, 3, True, by="U1")
    with db.begin() as session:
        assert runbooks.ticked(session, incident_id, "rb") == {0}


def test_accepting_checks_the_proposal_the_person_saw(db: Database, incident_id: int) -> None:
    with db.begin() as session:
        incident = load(session, incident_id)
        for key, value in ANSWERS.items():
            triage_state.answer(session, incident, key, value, by="U1")
        proposal = triage_state.assessment(session, incident).proposal
        assert proposal is not None
        triage_state.propose(session, incident, proposal)
    with pytest.raises(InvalidInput, match="triage now proposes SEV2"), db.begin() as session:
        triage_state.accept(session, load(session, incident_id), **steering("U2"), proposed="sev1")
    with db.begin() as session:
        change = triage_state.accept(
            session, load(session, incident_id), **steering("U2"), proposed="sev2"
        )
        assert change.current is Severity.SEV2
