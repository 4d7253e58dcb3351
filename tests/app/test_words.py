"""Sentences a person reads in an incident channel: held roles, the timeline's count."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import roles
from bot.app.services import Services
from bot.incidents.declare import Declaration, declare
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.store.models import RoleAssignment, utcnow
from tests.conftest import ALICE, BOB, CARA


@pytest.fixture
def channel(services: Services, slack: SlackStandIn) -> str:
    channel = slack.add_channel("inc-roles", members={"UBOTINCIDENT", ALICE, BOB, CARA})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Ranker CTR down", Severity.SEV3, ALICE))
        incident.channel_id = channel
        incident.provisioned_at = utcnow()
        incident.roles.append(RoleAssignment(role="commander", user_id=ALICE))
        incident.roles.append(RoleAssignment(role="ml-lead", user_id=BOB))
    return channel


def asked(services: Services, channel: str, role: Role) -> str:
    said: list[dict[str, Any]] = []
    roles.assign(services, channel, role, CARA, CARA, lambda **m: said.append(m))
    return str(said[-1]["text"])


def test_a_held_role_names_who_can_hand_it_over_once(services: Services, channel: str) -> None:
    assert asked(services, channel, Role.ML_LEAD).startswith(
        f"<@{BOB}> holds ML Lead: they or the Incident Commander can hand it to <@{CARA}>. "
        "I asked in the channel;"
    )
    # The Commander's own role: no "or the Commander" beside the Commander.
    assert asked(services, channel, Role.COMMANDER).startswith(
        f"<@{ALICE}> holds Incident Commander: only they can hand it over. I asked"
    )


def test_a_one_event_timeline_says_one_event(services: Services, channel: str) -> None:
    from bot.app import timeline as timeline_flow
    from bot.sandbox.reading import readable

    said: list[dict[str, Any]] = []
    timeline_flow.show(services, channel, 1, lambda **m: said.append(m))
    (shown,) = said
    assert shown["text"] == "Timeline of INC-1: 1 event"
    assert "Page 1 of 1 · 1 event · `/incident postmortem`" in readable(shown["blocks"])


@pytest.mark.parametrize(
    ("ahead", "said"), [(1, "1 other computation"), (2, "2 other computations")]
)
def test_a_queued_review_says_how_many_are_ahead_in_agreeing_words(
    services: Services, ahead: int, said: str
) -> None:
    from dataclasses import replace

    from bot.app import stats
    from bot.app.requests import StatsArgs

    class Queued:  # the pool, with ``ahead`` computations before this one (it runs nothing)
        def submit_heavy(self, *args: Any, **kwargs: Any) -> int:
            return ahead

    told: list[str] = []
    queued = replace(services, background=Queued())  # type: ignore[arg-type]
    stats.start(queued, StatsArgs(), ALICE, "C1", lambda **m: told.append(m["text"]))
    assert told == [f"Your review waits behind {said}; it will follow here."]


def test_asking_twice_for_a_hand_over_says_it_is_waiting(services: Services, channel: str) -> None:
    asked(services, channel, Role.ML_LEAD)
    again = asked(services, channel, Role.ML_LEAD)
    assert again.startswith(
        "That hand-over has already been requested and is waiting for an answer (it lapses in "
    )


def test_a_button_whose_data_cannot_be_read_says_so_plainly(
    services: Services, channel: str
) -> None:
    from bot.app import contain

    said: list[str] = []
    contain.confirm_change(services, channel, "maybe", ALICE, lambda **m: said.append(m["text"]))
    contain.undo_rollback(services, channel, "{", ALICE, lambda **m: said.append(m["text"]))
    assert (
        said
        == [
            "That button's data could not be read (it may come from an older version of the bot); "
            "nothing was changed."
        ]
        * 2
    )
