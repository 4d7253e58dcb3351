"""What the console learns of a reader from Slack: the private channels they share with
the bot (kept a minute), and display names (kept an hour); a Slack that does not answer
leaves a reader with less, never more."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.sandbox import SlackStandIn
from bot.slack.webapi.readers import CHANNELS_FOR, SlackReaders
from bot.slack.webapi.responders import Responders
from tests.conftest import ALICE, BOB, CARA


def test_private_channels_are_the_ones_shared_with_the_bot_and_kept_a_minute(
    slack: SlackStandIn,
) -> None:
    client = WebClient(token=slack.token, base_url=slack.api_url)
    now = [1000.0]
    readers = SlackReaders(
        client, Responders(client, "S0ONCALL1"), "T0STANDIN", clock=lambda: now[0]
    )
    slack.add_usergroup("S0ONCALL1", {CARA})
    shared = slack.add_channel("inc-private-1", members={ALICE, "UBOTINCIDENT"})
    hidden = slack.add_channel("secret-club", members={ALICE})
    for channel in (shared, hidden):
        slack.channels[channel].is_private = True
    alice = readers.reader(ALICE)
    assert alice.channels == frozenset({shared}) and not alice.responder
    assert readers.reader(CARA).responder
    slack.channels[shared].members.add(BOB)
    assert readers.reader(BOB).channels == frozenset({shared})
    slack.channels[shared].members.discard(ALICE)
    assert readers.reader(ALICE).channels == frozenset({shared})  # kept a minute
    now[0] += CHANNELS_FOR
    slack.fail_next("users.conversations", error="internal_error", status=200)
    assert readers.reader(ALICE).channels == frozenset({shared})  # Slack silent: the last answer
    assert readers.reader(ALICE).channels == frozenset()  # asked again: gone


def test_display_names_are_asked_once_and_unknown_people_left_out(slack: SlackStandIn) -> None:
    client = WebClient(token=slack.token, base_url=slack.api_url)
    readers = SlackReaders(client, Responders(client, None), "T0STANDIN")
    assert readers.names([ALICE, BOB, "U0NOBODY0"]) == {ALICE: "alice", BOB: "bob"}
    asked = len(slack.calls_to("users.info"))
    assert readers.names([ALICE]) == {ALICE: "alice"}
    assert len(slack.calls_to("users.info")) == asked
    assert (
        readers.channel_url("C123") == "https://slack.com/app_redirect?channel=C123&team=T0STANDIN"
    )
