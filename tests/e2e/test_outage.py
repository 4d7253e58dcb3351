"""Slack answers 503 to everything for a while, then recovers: every owed effect arrives,
in order per channel, none twice, soon after Slack's return."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.sandbox import SlackStandIn
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, deliver, events
from tests.conftest import ALICE
from tests.e2e.helpers import stored_incidents
from tests.support import BotProcess

# The database changes how this fails and recovers: it runs on both.
pytestmark = pytest.mark.both_databases

INCIDENTS = 3
NOTES = ("first", "second", "third")


@pytest.fixture
def bot_env() -> dict[str, str]:
    return ALERT_ENV


def _notes_in(channel: Any) -> list[str]:
    return [
        word
        for m in channel.messages
        for word in NOTES
        if f"outage note {word}" in m["text"] and "ephemeral_to" not in m
    ]


def test_everything_owed_through_an_outage_arrives_in_order_once(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    for n in range(INCIDENTS):
        bot.command(f"declare sev2 Outage drill {n}", user=ALICE, channel=general).wait_reply()
    incidents = slack.wait_for(
        lambda: (
            (ready := [i for i in stored_incidents(bot.database_url) if i.announced_ts])
            and len(ready) == INCIDENTS
            and ready
        ),
        what="the incidents set up",
    )
    slack.go_down(503)
    for incident in incidents:
        for word in NOTES:
            answer = bot.command(
                f"note outage note {word}", user=ALICE, channel=incident.channel_id
            )
            assert answer.http.status_code == 200  # acknowledged without Slack
    accepted = deliver(bot, "generic", payloads.generic(dedup_key="during-outage"))
    assert accepted["result"] == "declared"  # stored and applied while Slack is down
    # Let the bot meet the outage: its calls are being refused.
    slack.wait_for(
        lambda: len([c for c in slack.calls if c.get("status") == 503]) >= 3,
        timeout=60,
        what="calls refused during the outage",
    )
    slack.come_back()
    back = time.monotonic()
    for incident in incidents:
        channel = slack.channels[incident.channel_id]
        slack.wait_for(
            lambda channel=channel: len(_notes_in(channel)) >= len(NOTES),
            timeout=60,
            what="the notes owed through the outage",
        )
        # In the order the bot recorded them (three commands typed at once may be recorded
        # in any order), each once.
        recorded = [
            word
            for e in sorted(events(bot.database_url, incident.id, "note"), key=lambda e: e.id)
            for word in NOTES
            if e.text == f"outage note {word}"
        ]
        assert sorted(recorded) == sorted(NOTES)
        assert _notes_in(channel) == recorded
    alerted = slack.wait_for(
        lambda: [
            i
            for i in stored_incidents(bot.database_url)
            if i.announced_ts and i.title.startswith("Credit model")
        ],
        timeout=60,
        what="the alert's incident set up after the outage",
    )
    took = time.monotonic() - back
    print(f"everything owed arrived {took:.1f} s after Slack's return")
    assert took < 45  # the retries' backoff is capped at 30 s
    channels = [c for c in slack.channels.values() if c.name.startswith("inc-")]
    assert len(channels) == INCIDENTS + len(alerted)  # no second channel for anyone
