"""Declaring an incident with /incident, against the real bot process and the Slack stand-in."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import readable
from tests.conftest import ALICE
from tests.support import BotProcess

TITLE = "Fraud model flags 40% of legitimate transactions"


def incident_channel(slack: SlackStandIn, prefix: str = "inc-") -> object:
    return slack.wait_for(
        lambda: next((c for c in slack.channels.values() if c.name.startswith(prefix)), None),
        what="an incident channel",
    )


def test_declare_opens_a_channel_with_everything_a_responder_needs(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    result = bot.command(f"declare sev1 {TITLE}", user=ALICE, channel=general)

    assert result.http.status_code == 200
    assert "Declaring a SEV1 incident" in result.ack_text
    reply = result.wait_reply()
    assert reply["text"].startswith("Declared INC-1 (SEV1)")

    today = datetime.now(UTC).strftime("%Y%m%d")
    channel = slack.channel_named(f"inc-{today}-fraud-model-flags-40-of-legitimate-transactions")
    assert channel is not None, [c.name for c in slack.channels.values()]
    assert f"<#{channel.id}>" in reply["text"]
    assert ALICE in channel.members
    topic = "SEV1 (critical) | Investigating | Incident Commander: unassigned"
    assert channel.topic.startswith(topic)

    # The pinned summary: title, severity with its meaning and expectation, status, roles.
    assert len(channel.pins) == 1
    summary = next(m for m in channel.messages if m["ts"] == channel.pins[0])
    shown = readable(summary["blocks"])
    assert f"INC-1: {TITLE}" in shown
    assert "SEV1 · critical" in shown
    assert "Predictions are causing significant harm now" in shown
    assert "Executives are told within 30 minutes" in shown
    assert "Investigating" in shown
    for role in ("Incident Commander", "ML Lead", "Data Lead", "Comms Lead"):
        assert f"*{role}*\n_unassigned" in shown
    controls = next(b for b in summary["blocks"] if b["type"] == "actions")["elements"]
    assert {e["action_id"] for e in controls} >= {
        "role_select:commander",
        "role_select:ml-lead",
        "role_select:data-lead",
        "role_select:comms-lead",
        "severity_select",
    }

    # The broadcast channel hears about it, with a link to the incident channel.
    announcement = slack.wait_for(lambda: slack.channels[broadcast].messages, what="announcement")
    assert f"<#{channel.id}>" in readable(announcement[0]["blocks"])
    assert TITLE in announcement[0]["text"]


def test_the_ack_comes_before_any_slack_work(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    # Make channel creation slow to fail: the first two attempts get 500s and are retried.
    slack.fail_next("conversations.create", count=2, status=500)
    result = bot.command("declare sev2 Forecasts 40% off", user=ALICE, channel=general)
    assert result.http.status_code == 200
    assert "Declaring a SEV2 incident" in result.ack_text
    assert not slack.channel_named(f"inc-{datetime.now(UTC):%Y%m%d}-forecasts-40-off"), (
        "the channel was created before Slack got its acknowledgement"
    )
    assert result.wait_reply(timeout=20)["text"].startswith("Declared INC-1")
    assert slack.channel_named(f"inc-{datetime.now(UTC):%Y%m%d}-forecasts-40-off")
