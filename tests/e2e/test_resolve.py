"""/incident resolve: the incident closes once, and everyone who follows it hears."""

from __future__ import annotations

from bot.sandbox import SlackStandIn
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import declare, stored_incidents, timeline_kinds
from tests.support import BotProcess


def test_resolving_redraws_tells_the_channel_and_broadcast_and_happens_once(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    channel, incident = declare(bot, slack, general)
    bot.command(f"role commander <@{BOB}|bob>", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: "Commander: <@U0BOB0002>" in channel.topic, what="Bob commands")
    bot.command("resolve Rolled back to v41 <!channel>", user=BOB, channel=channel.id)
    slack.wait_for(
        lambda: [m for m in channel.public() if "resolved INC-1" in m["text"]],
        what="the resolution in the channel",
    )
    said = next(m for m in channel.public() if "resolved INC-1" in m["text"])["text"]
    assert said.startswith(":white_check_mark: <@U0BOB0002> resolved INC-1.")
    assert "Rolled back to v41 @channel" in said and "<!channel>" not in said
    slack.wait_for(lambda: "Status: *Resolved*" in channel.summary(), what="the summary")
    assert "role_select" not in channel.summary()  # a closed incident has no controls
    slack.wait_for(
        lambda: [m for m in slack.channels[broadcast].messages if "INC-1 resolved" in m["text"]],
        what="the broadcast",
    )
    (stored,) = stored_incidents(bot.database_url)
    assert stored.status == "resolved" and stored.resolved_at is not None
    assert timeline_kinds(bot.database_url, incident.id).count("resolved") == 1

    again = bot.command("resolve", user=BOB, channel=channel.id).wait_reply()
    assert again["text"].startswith("INC-1 is already resolved (since ")
    assert again["text"].endswith("; nothing changed.")
    assert timeline_kinds(bot.database_url, incident.id).count("resolved") == 1
