import pytest
from sqlalchemy import select

from bot.incidents.assign_role import assign_role
from bot.incidents.change_severity import change_severity
from bot.incidents.declare import Declaration, declare
from bot.incidents.errors import InvalidInput
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.store.db import Database
from bot.store.models import TimelineEvent
from tests.incidents.helpers import load, steering


@pytest.fixture
def incident_id(db: Database) -> int:
    with db.begin() as session:
        made = declare(session, Declaration("Credit model denies one group", Severity.SEV3, "U1"))
        return made.id


def events(db: Database, incident_id: int) -> list[tuple[str, str]]:
    with db.begin() as session:
        rows = session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.id)
        )
        return [(e.kind, e.text) for e in rows]


def test_assigning_then_handing_over_a_role(db: Database, incident_id: int) -> None:
    with db.begin() as session:
        incident = load(session, incident_id)
        first = assign_role(session, incident, Role.ML_LEAD, "U0CARA003", by="U1")
        assert first.changed and first.previous is None
    with db.begin() as session:
        incident = load(session, incident_id)
        again = assign_role(session, incident, Role.ML_LEAD, "U0CARA003", by="U1")
        assert not again.changed
        handover = assign_role(session, incident, Role.ML_LEAD, "U0BOB0002", by="U1")
        assert handover.previous == "U0CARA003"
    with db.begin() as session:
        incident = load(session, incident_id)
        assert incident.holder(Role.ML_LEAD) == "U0BOB0002"
    assert events(db, incident_id)[1:] == [
        ("role_assigned", "@U0CARA003 is ML Lead"),  # plain words: surfaces draw the people
        ("role_handed_over", "@U0BOB0002 took over as ML Lead from @U0CARA003"),
    ]


def test_one_person_may_hold_several_roles(db: Database, incident_id: int) -> None:
    with db.begin() as session:
        incident = load(session, incident_id)
        for role in (Role.COMMANDER, Role.COMMS_LEAD):
            assign_role(session, incident, role, "U0ALICE01", by="U0ALICE01")
    with db.begin() as session:
        incident = load(session, incident_id)
        assert incident.holder(Role.COMMANDER) == incident.holder(Role.COMMS_LEAD) == "U0ALICE01"


def test_severity_change_is_recorded_and_refused_once_resolved(
    db: Database, incident_id: int
) -> None:
    with db.begin() as session:
        incident = load(session, incident_id)
        change = change_severity(session, incident, Severity.SEV1, **steering("U1"))
        assert (change.previous, change.current) == (Severity.SEV3, Severity.SEV1)
    assert events(db, incident_id)[-1] == ("severity_changed", "Severity raised from SEV3 to SEV1")
    with db.begin() as session:
        incident = load(session, incident_id)
        incident.status = "resolved"
    with pytest.raises(InvalidInput, match="resolved"), db.begin() as session:
        incident = load(session, incident_id)
        change_severity(session, incident, Severity.SEV2, **steering("U1"))
    with db.begin() as session:
        incident = load(session, incident_id)
        assert incident.severity == "sev1"


@pytest.mark.parametrize("change", ["resolve", "severity", "key_times", "accept", "decline"])
def test_the_domain_refuses_whoever_may_not_steer_and_changes_nothing(
    db: Database, incident_id: int, change: str
) -> None:
    """The policy is checked where the change is made, so no caller can forget it."""
    from datetime import timedelta

    from bot.incidents import key_times, triage_state
    from bot.incidents.permissions import Actor, NotAllowed, Policy
    from bot.incidents.resolve import resolve

    before = events(db, incident_id)
    stranger, policy = Actor("U0DAN0004"), Policy()
    with pytest.raises(NotAllowed), db.begin() as session:
        incident = load(session, incident_id)
        if change == "resolve":
            resolve(session, incident, who=stranger, policy=policy)
        elif change == "severity":
            change_severity(session, incident, Severity.SEV1, who=stranger, policy=policy)
        elif change == "key_times":
            times = key_times.of(session, incident)
            earlier = {key_times.KeyTime.DETECTED: incident.declared_at - timedelta(minutes=5)}
            key_times.correct(session, incident, times, earlier, who=stranger, policy=policy)
        elif change == "accept":
            triage_state.accept(session, incident, who=stranger, policy=policy)
        else:
            triage_state.decline(session, incident, who=stranger, policy=policy)
    with db.begin() as session:
        incident = load(session, incident_id)
        assert incident.is_open and incident.severity == "sev3"
    assert events(db, incident_id) == before
