"""Status-update nudges on the severity's cadence, driven by an injected clock: each
``tick`` is the scheduler's run at the time the test says, so no test waits for one."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import nudges, resolution, roles, updates
from bot.app.services import Services
from bot.incidents import reminders, timeline, triage_state
from bot.incidents.declare import Declaration, declare
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.runtime import sandbox
from bot.sandbox import SlackStandIn
from bot.sandbox.reading import readable
from bot.store.models import HandoverRequest, Incident, RoleAssignment, utcnow
from tests.conftest import ALICE, BOB, CARA

EVERY = timedelta(minutes=30)


@pytest.fixture
def services_env() -> dict[str, str]:
    return {"INCIDENTBOT_STATUS_UPDATE_EVERY": "sev1=15m,sev2=30m,sev3=30m,sev4=0"}


def incident_in(
    services: Services, channel: str, *, roles: dict[str, str], ago: timedelta = timedelta(0)
) -> datetime:
    """A SEV2 in ``channel`` declared ``ago`` with ``roles``, its first nudge scheduled;
    returns when it was declared."""
    start = utcnow() - ago
    with services.db.begin() as session:
        incident = declare(
            session, Declaration("Ranker CTR down 15%", Severity.SEV2, ALICE), now=start
        )
        incident.channel_id = channel
        incident.provisioned_at = utcnow()  # set up
        for role, user in roles.items():
            incident.roles.append(RoleAssignment(role=role, user_id=user))
        cadence = services.settings.status_update_every
        reminders.schedule_status(session, incident, cadence, now=start)
    return start


def nudges_in(slack: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    return [
        m for m in slack.channels[channel].messages if m["text"].startswith("A status update for")
    ]


def quiet(**message: Any) -> None:
    """A reply nobody reads."""


def test_nudges_follow_the_cadence_an_update_restarts_it_and_resolving_stops_it(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-ranker", members={"UBOTINCIDENT", ALICE, BOB})
    # Declared 45 minutes ago: the first nudge fell due 15 minutes ago.
    start = incident_in(services, channel, roles={"comms-lead": BOB}, ago=timedelta(minutes=45))
    assert nudges.tick(services, start + EVERY - timedelta(seconds=1)) == 0
    assert nudges.tick(services, start + EVERY) == 1
    first = nudges_in(slack, channel)
    assert len(first) == 1 and "<@U0BOB0002>" in readable(first[0]["blocks"])
    assert "first notice" in readable(first[0]["blocks"])
    assert nudges.tick(services, start + EVERY) == 0  # each nudge once

    updates.send(services, channel, "Rolling back the ranker. Next update 10:30.", BOB, quiet)
    sent = utcnow()  # the update restarted the clock: nothing at the old time
    assert nudges.tick(services, start + 2 * EVERY) == 0
    assert nudges.tick(services, sent + EVERY - timedelta(seconds=5)) == 0
    assert nudges.tick(services, sent + EVERY) == 1

    resolution.resolve_incident(services, channel, ALICE, "Rolled back to ranker v7", quiet)
    assert nudges.tick(services, sent + 10 * EVERY) == 0
    assert len(nudges_in(slack, channel)) == 2


def test_two_unanswered_nudges_tell_the_commander(services: Services, slack: SlackStandIn) -> None:
    channel = slack.add_channel("inc-quiet", members={"UBOTINCIDENT", ALICE, BOB, CARA})
    start = incident_in(services, channel, roles={"commander": CARA, "comms-lead": BOB})
    assert nudges.tick(services, start + EVERY) == 1
    told = [m for m in slack.channels[channel].messages if m.get("ephemeral_to") == CARA]
    assert not told  # one missed update is not yet the Commander's business
    assert nudges.tick(services, start + 2 * EVERY) == 1
    told = [m for m in slack.channels[channel].messages if m.get("ephemeral_to") == CARA]
    assert len(told) == 1
    assert "no status update for 2 reminders in a row" in told[0]["text"]
    assert "; stakeholders have heard nothing yet." in told[0]["text"]
    assert "Make sure someone holds the Comms Lead role and sends one." in told[0]["text"]
    # The nudge counts the same reminders as the Commander's note: one count.
    first, second = (readable(m["blocks"]) for m in nudges_in(slack, channel))
    assert (
        "<@U0BOB0002>: a first notice for INC-1 is due. At SEV2, stakeholders expect one "
        "every 30 minutes." in first
    )
    assert "is due (2 reminders unanswered). At SEV2," in second


def test_a_nudge_with_nobody_to_address_reads_as_two_sentences(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-nobody", members={"UBOTINCIDENT", ALICE})
    start = incident_in(services, channel, roles={})
    assert nudges.tick(services, start + EVERY) == 1
    (nudge,) = nudges_in(slack, channel)
    assert (
        "Nobody holds Comms Lead or Incident Commander yet. A first notice for INC-1 is due."
    ) in readable(nudge["blocks"])


def test_after_a_long_stop_one_catch_up_nudge_then_back_on_cadence(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-restart", members={"UBOTINCIDENT", ALICE})
    start = incident_in(services, channel, roles={})
    assert nudges.tick(services, start + EVERY) == 1
    back = start + 5 * EVERY  # the bot was down through three more cadences
    assert nudges.tick(services, back) == 1  # one, not a burst of three
    assert nudges.tick(services, back + timedelta(seconds=1)) == 0
    assert nudges.tick(services, back + EVERY - timedelta(seconds=1)) == 0
    assert nudges.tick(services, back + EVERY) == 1
    assert len(nudges_in(slack, channel)) == 3


def test_resolving_without_a_summary_tells_stakeholders_in_plain_words(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-plain", members={"UBOTINCIDENT", ALICE})
    incident_in(services, channel, roles={"commander": ALICE})
    resolution.resolve_incident(services, channel, ALICE, None, quiet)
    (said,) = [m["text"] for m in slack.channels[channel].messages if "resolved" in m["text"]]
    assert "*What happened:* details follow in the post-mortem.\n" in said
    assert "*Impact:* not yet assessed (from " in said
    assert "[" not in said.split("\n", 1)[1]  # no placeholder for a writer reaches readers
    # One date format in the stakeholder stream, the one the next-update line uses.
    assert re.search(r"from \d\d:\d\d UTC on \w{3} \d\d \w{3} to \d\d:\d\d UTC on ", said)

    # An impact answered in triage is said in the past once it is over: "Significant harm
    # now" in a notice that gives the incident's end would read as if it went on.
    harmed = slack.add_channel("inc-harmed", members={"UBOTINCIDENT", ALICE})
    incident_in(services, harmed, roles={"commander": ALICE})
    with services.db.begin() as session:
        made = session.scalars(select(Incident).where(Incident.channel_id == harmed)).one()
        triage_state.answer(session, made, "impact", "harm", by=ALICE)
    resolution.resolve_incident(services, harmed, ALICE, None, quiet)
    (said,) = [m["text"] for m in slack.channels[harmed].messages if "resolved" in m["text"]]
    assert "*Impact:* Significant harm (from " in said and "now" not in said


def test_after_a_skip_ahead_what_is_done_next_reads_after_what_the_skip_sent(
    services: Services, slack: SlackStandIn
) -> None:
    """The sandbox's skip once recorded what it sent at the later time: after skipping
    30 minutes, resolving read before "Status update due" on the timeline, and a
    hand-over card said it lapsed at a time still to come. The skip judges what is due
    at the later time and records what it sends when it is sent."""
    channel = slack.add_channel("inc-skip", members={"UBOTINCIDENT", ALICE, BOB, CARA})
    incident_in(services, channel, roles={"commander": ALICE, "comms-lead": BOB})
    asked: list[dict[str, Any]] = []
    roles.assign(services, channel, Role.COMMANDER, CARA, BOB, lambda **m: asked.append(m))
    assert "the request lapses in 10 minutes" in asked[0]["text"]

    # The skip sends the nudge due in 30 minutes and lapses the request due in 10.
    assert sandbox.later(services)(timedelta(minutes=30)) == (2, 0)
    skipped = utcnow()
    assert len(nudges_in(slack, channel)) == 1
    resolution.resolve_incident(services, channel, ALICE, "Rolled back the ranker", quiet)

    with services.db.begin() as session:
        incident = session.scalars(select(Incident).where(Incident.channel_id == channel)).one()
        events = timeline.events(session, incident.id)
        request = session.scalars(select(HandoverRequest)).one()
    kinds = [e.kind for e in events]
    assert kinds.index(EventKind.UPDATE_NUDGED) < kinds.index(EventKind.RESOLVED), kinds
    assert max(e.occurred_at for e in events) <= utcnow()  # nothing stamped in the future
    # The hand-over card says when the request lapsed: then, not when it would have.
    assert request.decision == "lapsed"
    (card,) = [
        json.dumps(m.get("blocks"))
        for m in slack.channels[channel].messages
        if "Lapsed unanswered" in json.dumps(m.get("blocks"))
    ]
    lapsed_at = re.search(r"Lapsed unanswered <!date\^(\d+)\^", card)
    assert lapsed_at and int(lapsed_at.group(1)) <= skipped.timestamp(), card
