"""Who is in INCIDENTBOT_RESPONDERS: asked of Slack at most once a minute, and an
unanswered question never turns into a yes."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.sandbox import SlackStandIn
from bot.slack.webapi.responders import FRESH_FOR, Responders
from tests.conftest import BOB, CARA


def test_membership_is_read_once_a_minute_and_survives_slack_failing(
    slack: SlackStandIn,
) -> None:
    client = WebClient(token=slack.token, base_url=slack.api_url)
    now = [1000.0]
    responders = Responders(client, "S0ONCALL1", clock=lambda: now[0])

    slack.fail_next("usergroups.users.list", error="internal_error", status=200)
    unknown = responders.actor(CARA)
    assert unknown.responder is None  # never read: not "no", but "cannot say"

    slack.add_usergroup("S0ONCALL1", {CARA})
    assert responders.actor(CARA).responder is True
    assert responders.actor(BOB).responder is False
    slack.usergroups["S0ONCALL1"] = {BOB}  # the rota changes...
    assert responders.actor(BOB).responder is False  # ...and is seen within a minute
    assert len(slack.calls_to("usergroups.users.list")) == 2

    now[0] += FRESH_FOR + 1
    slack.go_down()
    assert responders.actor(CARA).responder is True  # Slack down: the last answer stands
    slack.come_back()
    now[0] += FRESH_FOR + 1
    assert responders.actor(BOB).responder is True


def test_without_a_group_nobody_is_a_responder_and_slack_is_not_asked(
    slack: SlackStandIn,
) -> None:
    client = WebClient(token=slack.token, base_url=slack.api_url)
    assert Responders(client, None).actor(CARA).responder is False
    assert slack.calls_to("usergroups.users.list") == []
