"""Who may steer an incident, through signed Slack requests: for each privileged action
someone who may not (refused, told who can, nothing changes) and someone who may.

Alice declares, so she commands until someone holds Incident Commander; Cara is in the
responders user group; Dan is nobody in particular.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import buttons, readable
from bot.store.db import Database
from bot.store.models import HandoverRequest, Reminder, utcnow
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, counts, deliver
from tests.conftest import ALICE, BOB, CARA
from tests.e2e.helpers import (
    DAN,
    ROUTE,
    actors_of,
    complete_triage,
    declare,
    events_of,
    holders,
    open_key_times,
    pick_for_role,
    prompts,
    proposals,
    said_to,
    stored_incidents,
    timeline_kinds,
)
from tests.e2e.helpers import click as click_prompt
from tests.support import BotProcess

ONCALL = "S0ONCALL1"
ONCALL_MENTION = f"<!subteam^{ONCALL}>"


@pytest.fixture
def bot_env() -> dict[str, str]:
    return {
        **ALERT_ENV,
        "INCIDENTBOT_RESPONDERS": ONCALL,
        "INCIDENTBOT_ALERT_ROUTES": f"{ROUTE}=ask,*=declare",
    }


@pytest.fixture(autouse=True)
def people(slack: SlackStandIn, general: str) -> None:
    slack.add_user(DAN, "dan")
    slack.channels[general].members.add(DAN)
    slack.add_usergroup(ONCALL, {CARA})


def command_answer(bot: BotProcess, text: str, *, user: str, channel: Any) -> str:
    return str(bot.command(text, user=user, channel=channel.id).wait_reply()["text"])


def join(channel: Any, *people: str) -> None:
    channel.members.update(people)


def test_resolving_takes_the_commander_or_a_responder(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    join(channel, BOB, CARA)
    refused = command_answer(bot, "resolve Rolled back", user=BOB, channel=channel)
    assert refused == (
        f"Only the Incident Commander, <@{ALICE}>, or a member of {ONCALL_MENTION} can "
        f"resolve {incident.reference}."
    )
    assert stored_incidents(bot.database_url)[0].status == "investigating"
    assert "resolved" not in timeline_kinds(bot.database_url, incident.id)

    bot.command("resolve Rolled back", user=CARA, channel=channel.id)
    slack.wait_for(
        lambda: stored_incidents(bot.database_url)[0].status == "resolved", what="resolution"
    )
    assert actors_of(bot.database_url, incident.id, "resolved") == [CARA]


def test_severity_is_the_commanders_and_the_declarer_commands_until_one_is_named(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    channel, incident = declare(bot, slack, general)
    join(channel, BOB, DAN)
    refused = command_answer(bot, "severity sev1", user=DAN, channel=channel)
    assert refused.startswith(f"Only the Incident Commander, <@{ALICE}>, or a member of")
    # The summary's select goes through the same rule.
    _, key = slack.block_action(
        bot.url,
        user=DAN,
        channel=channel.id,
        message_ts=channel.pins[0],
        action={"action_id": "severity_select", "selected_option": {"value": "sev1"}},
    )
    assert "change the severity of INC-1" in said_to(slack, key)
    assert stored_incidents(bot.database_url)[0].severity == "sev3"

    bot.command("severity sev2", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: stored_incidents(bot.database_url)[0].severity == "sev2")

    # Once Bob is Commander, the declarer is like anyone else.
    pick_for_role(slack, bot.url, channel, "commander", BOB, by=ALICE)
    slack.wait_for(lambda: holders(bot.database_url, incident.id).get("commander") == BOB)
    refused = command_answer(bot, "severity sev1", user=ALICE, channel=channel)
    assert refused.startswith(f"Only the Incident Commander, <@{BOB}>,")
    bot.command("severity sev1", user=BOB, channel=channel.id)
    slack.wait_for(lambda: stored_incidents(bot.database_url)[0].severity == "sev1")
    assert actors_of(bot.database_url, incident.id, "severity_changed") == [ALICE, BOB]


def test_a_proposed_severity_is_accepted_by_the_commander_only(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    join(channel, DAN)
    complete_triage(bot, slack, channel)
    proposal = slack.wait_for(lambda: proposals(channel), what="the proposal")[0]
    for action in ("triage_accept", "triage_decline"):
        _, key = slack.block_action(
            bot.url,
            user=DAN,
            channel=channel.id,
            message_ts=proposal["ts"],
            action={"action_id": action},
        )
        assert "accept or decline the severity triage proposes for INC-1" in said_to(slack, key)
    kinds = timeline_kinds(bot.database_url, incident.id)
    assert "triage_proposal_accepted" not in kinds and "triage_proposal_declined" not in kinds

    slack.block_action(
        bot.url,
        user=ALICE,
        channel=channel.id,
        message_ts=proposal["ts"],
        action={"action_id": "triage_accept"},
    )
    slack.wait_for(
        lambda: actors_of(bot.database_url, incident.id, "triage_proposal_accepted") == [ALICE]
    )


def test_a_role_someone_holds_changes_hands_with_their_or_the_commanders_consent(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    join(channel, DAN)
    # Nobody holds ML Lead: anyone may give it.
    pick_for_role(slack, bot.url, channel, "ml-lead", BOB, by=DAN)
    slack.wait_for(lambda: holders(bot.database_url, incident.id).get("ml-lead") == BOB)

    # Now Bob holds it: Dan asking for it is a request, not a change.
    key = pick_for_role(slack, bot.url, channel, "ml-lead", DAN, by=DAN)
    assert said_to(slack, key).startswith(
        f"<@{BOB}> holds ML Lead: they, the Incident Commander or a responder can hand it"
    )
    request = slack.wait_for(lambda: requests_in(channel), what="the request")[0]
    assert f"<@{DAN}> asks for <@{DAN}> to take ML Lead, now held by <@{BOB}>" in readable(
        request["blocks"]
    )
    assert "Hand over to @dan?" in readable(request["blocks"])
    assert holders(bot.database_url, incident.id)["ml-lead"] == BOB

    # The one asking cannot answer their own request.
    key = click(slack, bot, channel, request, DAN, "handover_agree")
    assert said_to(slack, key) == (
        f"Only <@{BOB}> (who holds it), the Incident Commander, <@{ALICE}>, or a member of "
        f"{ONCALL_MENTION} can hand over ML Lead on {incident.reference}."
    )
    assert holders(bot.database_url, incident.id)["ml-lead"] == BOB

    stale = copy.deepcopy(request)
    click(slack, bot, channel, request, BOB, "handover_agree")
    slack.wait_for(lambda: holders(bot.database_url, incident.id)["ml-lead"] == DAN)
    slack.wait_for(
        lambda: "Handed over by <@U0BOB0002>" in readable(requests_in(channel)[0]["blocks"])
    )
    handed = events_of(bot.database_url, incident.id, "role_handed_over")
    assert [(e.actor, e.data["user"], e.data["previous"]) for e in handed] == [(BOB, DAN, BOB)]
    # A second answer, from a client still showing the buttons, finds it decided.
    key = click(slack, bot, channel, stale, ALICE, "handover_keep", shown=True)
    assert said_to(slack, key).startswith("That hand-over request was agreed by <@U0BOB0002>")

    # Commander is held by the declarer until someone takes it: asking needs her consent.
    key = pick_for_role(slack, bot.url, channel, "commander", DAN, by=DAN)
    assert said_to(slack, key).startswith(f"<@{ALICE}> holds Incident Commander")
    second = slack.wait_for(lambda: requests_in(channel)[1:], what="the second request")[0]
    click(slack, bot, channel, second, ALICE, "handover_keep")
    slack.wait_for(lambda: "Kept by <@U0ALICE01>" in readable(requests_in(channel)[1]["blocks"]))
    assert "commander" not in holders(bot.database_url, incident.id)
    assert actors_of(bot.database_url, incident.id, "handover_declined") == [ALICE]


def test_a_request_nobody_answers_lapses(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    join(channel, BOB, DAN)
    pick_for_role(slack, bot.url, channel, "comms-lead", BOB, by=ALICE)
    slack.wait_for(lambda: holders(bot.database_url, incident.id).get("comms-lead") == BOB)
    pick_for_role(slack, bot.url, channel, "comms-lead", DAN, by=DAN)
    request = slack.wait_for(lambda: requests_in(channel), what="the request")[0]
    assert "Lapses" in readable(request["blocks"])
    stale = copy.deepcopy(request)  # as a client that has not redrawn it still shows it

    # Ten minutes pass (the bot's reminder clock reads the due time from the database).
    past = utcnow() - timedelta(seconds=1)
    db = Database(bot.database_url)
    try:
        with db.begin() as session:
            session.execute(update(HandoverRequest).values(expires_at=past))
            session.execute(
                update(Reminder).where(Reminder.kind == "handover_lapse").values(due_at=past)
            )
    finally:
        db.dispose()
    slack.wait_for(
        lambda: "Lapsed unanswered" in readable(requests_in(channel)[0]["blocks"]), what="the lapse"
    )
    assert buttons(requests_in(channel)[0]["blocks"]) == []  # nothing left to answer
    key = click(slack, bot, channel, stale, BOB, "handover_agree", shown=True)
    assert "lapsed after 10 minutes unanswered" in said_to(slack, key)
    assert holders(bot.database_url, incident.id)["comms-lead"] == BOB


def test_key_times_are_corrected_by_the_commander_or_a_responder(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _incident = declare(bot, slack, general)
    join(channel, BOB, CARA)
    reply = bot.command("timeline", user=BOB, channel=channel.id).wait_reply()
    refused = open_key_times(slack, bot.url, channel, reply, BOB)
    assert "correct the key times of INC-1" in said_to(slack, refused)
    assert slack.views == {}
    open_key_times(slack, bot.url, channel, reply, CARA)
    slack.wait_for(lambda: list(slack.views), what="the form for a responder")


def test_only_a_responder_decides_alert_prompts_and_a_worse_alert_asks_again(
    bot: BotProcess, slack: SlackStandIn, broadcast: str, database_url: str
) -> None:
    slack.channels[broadcast].members.add(CARA)
    warning = payloads.am_alert(severity="warning")
    deliver(bot, "alertmanager", payloads.alertmanager(warning, receiver=ROUTE))
    prompt = slack.wait_for(lambda: prompts(slack, broadcast), what="the prompt")[0]
    key = click_prompt(slack, bot, broadcast, prompt["ts"], BOB, "alert_dismiss")
    assert said_to(slack, key) == (
        f"Only members of {ONCALL_MENTION} can declare or dismiss alerts."
    )
    assert "Dismiss" in buttons(prompts(slack, broadcast)[0]["blocks"])

    click_prompt(slack, bot, broadcast, prompt["ts"], CARA, "alert_dismiss")
    slack.wait_for(
        lambda: "Dismissed by <@U0CARA003>" in readable(prompts(slack, broadcast)[0]["blocks"]),
        what="the dismissal",
    )
    # Another alert of the group, no more severe: the dismissal holds.
    same = payloads.am_alert(severity="warning", fingerprint="f-second")
    assert (
        deliver(bot, "alertmanager", payloads.alertmanager(warning, same, receiver=ROUTE))["result"]
        == "joined"
    )
    # A critical one joins: asked again, in a new prompt.
    worse = payloads.am_alert(severity="critical", fingerprint="f-third")
    deliver(bot, "alertmanager", payloads.alertmanager(warning, same, worse, receiver=ROUTE))
    fresh = slack.wait_for(lambda: prompts(slack, broadcast)[1:], what="a new prompt")[0]
    assert "it is now SEV1" in readable(fresh["blocks"])
    assert "Declare incident" in buttons(fresh["blocks"])
    assert len(prompts(slack, broadcast)) == 2
    assert counts(database_url)["incidents"] == 0


def requests_in(channel: Any) -> list[dict[str, Any]]:
    return [m for m in channel.messages if "to be" in m["text"] and "asks for" in m["text"]]


def click(
    slack: SlackStandIn,
    bot: BotProcess,
    channel: Any,
    message: Any,
    who: str,
    what: str,
    *,
    shown: bool = False,
) -> str:
    """Click a button on ``message``; ``shown``: on that copy of it, as a client that has
    not redrawn it still shows it (its buttons may be gone from the channel's)."""
    _, key = slack.block_action(
        bot.url,
        user=who,
        channel=channel.id,
        message_ts=message["ts"],
        message=message if shown else None,
        action={"action_id": what},
    )
    return key
