"""Two changes to one incident at once: one change and one clear refusal, on both databases.

Each race starts its threads together at a barrier and repeats a few times, since a
race that is lost once in a while is still a race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import resolution, roles
from bot.app import severity as severity_flow
from bot.app import timeline as timeline_flow
from bot.app.services import Services
from bot.incidents.assign_role import assign_role
from bot.incidents.declare import Declaration, declare
from bot.incidents.key_times import KeyTime
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.store.models import Incident, TimelineEvent

ROUNDS = 4
ONCALL = "S0RACE001"


@pytest.fixture
def services_env(slack: SlackStandIn) -> dict[str, str]:
    # U1 declares each incident and so commands it; U2 is a responder: both may steer.
    slack.add_usergroup(ONCALL, {"U2"})
    return {"INCIDENTBOT_RESPONDERS": ONCALL}


def _incident(services: Services, slack: SlackStandIn, n: int) -> tuple[int, str]:
    channel = slack.add_channel(f"inc-race-{n}", members={"UBOTINCIDENT"})
    with services.db.begin() as session:
        incident = declare(session, Declaration(f"Race {n}", Severity.SEV3, "U1"))
        incident.channel_id, incident.channel_name = channel, f"inc-race-{n}"
        return incident.id, channel


def _together(*calls: Callable[[], None]) -> None:
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], None]) -> None:
        start.wait()
        call()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def _events(services: Services, incident_id: int, kind: str) -> int:
    with services.db.begin() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(TimelineEvent)
                .where(TimelineEvent.incident_id == incident_id, TimelineEvent.kind == kind)
            )
            or 0
        )


def _teller(box: list[str]) -> Any:
    return lambda **message: box.append(str(message.get("text", "")))


def test_two_resolves_at_once_resolve_once(services: Services, slack: SlackStandIn) -> None:
    for n in range(ROUNDS):
        incident_id, channel = _incident(services, slack, n)
        said: list[str] = []
        _together(
            partial(
                resolution.resolve_incident, services, channel, "U1", "rolled back", _teller(said)
            ),
            partial(resolution.resolve_incident, services, channel, "U2", None, _teller(said)),
        )
        assert _events(services, incident_id, "resolved") == 1
        assert len(said) == 1 and "is already resolved" in said[0], said
        with services.db.begin() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None and incident.status == "resolved"


def test_two_identical_severity_changes_at_once_change_it_once(
    services: Services, slack: SlackStandIn
) -> None:
    for n in range(ROUNDS):
        incident_id, channel = _incident(services, slack, n)
        said: list[str] = []
        _together(
            partial(severity_flow.change, services, channel, Severity.SEV1, "U1", _teller(said)),
            partial(severity_flow.change, services, channel, Severity.SEV1, "U2", _teller(said)),
        )
        assert _events(services, incident_id, "severity_changed") == 1
        assert said == ["The incident is already SEV1."]


def test_a_resolve_and_a_severity_change_at_once_never_change_a_resolved_incident(
    services: Services, slack: SlackStandIn
) -> None:
    for n in range(ROUNDS):
        incident_id, channel = _incident(services, slack, n)
        said: list[str] = []
        _together(
            partial(resolution.resolve_incident, services, channel, "U1", None, _teller(said)),
            partial(severity_flow.change, services, channel, Severity.SEV1, "U2", _teller(said)),
        )
        changed = _events(services, incident_id, "severity_changed")
        assert _events(services, incident_id, "resolved") == 1
        # Either order is fine; a change after the resolution is not.
        assert changed == 1 or said == [
            f"INC-{incident_id} is resolved; its severity no longer changes."
        ], said


def test_two_identical_hand_overs_at_once_hand_over_once(
    services: Services, slack: SlackStandIn
) -> None:
    slack.add_user("U0BOB0002", "bob")
    for n in range(ROUNDS):
        incident_id, channel = _incident(services, slack, n)
        said: list[str] = []
        _together(
            partial(
                roles.assign, services, channel, Role.ML_LEAD, "U0BOB0002", "U1", _teller(said)
            ),
            partial(
                roles.assign, services, channel, Role.ML_LEAD, "U0BOB0002", "U2", _teller(said)
            ),
        )
        assert _events(services, incident_id, "role_assigned") == 1
        assert said == ["<@U0BOB0002> already holds ML Lead."], said


def test_two_identical_key_time_corrections_at_once_record_one(
    services: Services, slack: SlackStandIn
) -> None:
    for n in range(ROUNDS):
        incident_id, channel = _incident(services, slack, n)
        with services.db.begin() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            assign_role(session, incident, Role.COMMANDER, "U1", by="U1")
            earlier = incident.declared_at - timedelta(hours=1)
        change = {KeyTime.DETECTED: earlier.replace(second=0, microsecond=0)}
        said: list[str] = []
        correct = partial(
            timeline_flow.correct_key_times,
            services,
            channel,
            change,
            "alert late",
            "U1",
            _teller(said),
        )
        _together(correct, correct)  # the same correction, twice at once
        assert _events(services, incident_id, "key_time_corrected") == 1
        assert said == ["Those are the key times already; nothing changed."], said
