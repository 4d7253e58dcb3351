"""One call Slack refuses for good never silences an incident.

An invite of a guest (Slack refuses apps inviting guests) and an archived
broadcast channel are refused for good. Before, the refused call was retried
forever and held back everything after it: no redraws, digests, updates or
resolution notice. Now it is dead at once, said in the channel in words, and
what follows arrives.
"""

from __future__ import annotations

import re
import subprocess
from typing import Any

import httpx
import pytest

from bot.sandbox import SlackStandIn
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, deliver
from tests.conftest import ALICE
from tests.e2e.helpers import stored_incidents
from tests.support import BotProcess, run_cli

# The database changes how this fails and recovers: it runs on both.
pytestmark = pytest.mark.both_databases

GUEST = "U0GUEST04"


@pytest.fixture
def bot_env() -> dict[str, str]:
    return ALERT_ENV


def _said(channel: Any, start: str) -> list[dict[str, Any]]:
    return [m for m in channel.messages if m["text"].startswith(start)]


def test_refused_calls_are_reported_and_everything_after_them_arrives(
    bot: BotProcess, slack: SlackStandIn, broadcast: str
) -> None:
    slack.add_user(GUEST, "gus", guest=True)
    assert deliver(bot, "generic", payloads.generic())["result"] == "declared"
    incident = slack.wait_for(
        lambda: [i for i in stored_incidents(bot.database_url) if i.announced_ts], what="set-up"
    )[0]
    channel = slack.channels[incident.channel_id]
    channel.members.update({ALICE, GUEST})  # the guest joined by themselves
    slack.channels[broadcast].is_archived = True  # someone archived #incidents

    # The owner of an action item is invited: a guest cannot be.
    bot.command(f"action Retrain on fresh data <@{GUEST}|gus>", user=ALICE, channel=channel.id)
    refused_invite = slack.wait_for(
        lambda: _said(channel, ":warning: Could not invite"), what="the invite's dead notice"
    )[0]["text"]
    assert refused_invite.startswith(
        f":warning: Could not invite <@{GUEST}> to this channel: "
        "Slack refuses apps inviting guests."
    )
    assert "incidentbot outbox retry" in refused_invite

    # A status update: the channel gets it; the archived broadcast channel cannot.
    bot.command("update Rolled back the scorer; watching approvals", user=ALICE, channel=channel.id)
    slack.wait_for(
        lambda: [m for m in channel.messages if "Rolled back the scorer" in m["text"]],
        what="the update in the channel",
    )
    refused_post = slack.wait_for(
        lambda: _said(channel, f":warning: Could not post to <#{broadcast}>"),
        what="the broadcast's dead notice",
    )[0]["text"]
    assert "the channel is archived" in refused_post

    # The summary redraw and the alert digest still arrive. (An alert declared it: Alice
    # takes command, which nobody holds, to steer it.)
    bot.command(f"role commander <@{ALICE}|alice>", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: f"Commander: <@{ALICE}>" in channel.topic, what="a Commander")
    bot.command("severity sev1", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: "SEV1" in channel.topic, what="the redrawn topic")
    assert deliver(bot, "generic", payloads.generic(status="resolved"))["result"] == "resolved"
    slack.wait_for(
        lambda: [
            m
            for m in channel.messages
            if "resolved" in m["text"].lower() and "alert" in m["text"].lower()
        ],
        what="the alert digest",
    )
    # And the resolution notice.
    bot.command("resolve Rolled back to v41", user=ALICE, channel=channel.id)
    slack.wait_for(
        lambda: [m for m in channel.messages if f"resolved {incident.reference}" in m["text"]],
        what="the resolution notice",
    )
    assert len(_said(channel, ":warning: Could not invite")) == 1  # said once, not per retry

    # Seen from outside: /metrics and the command line. The update, the severity change
    # and the resolution are each refused by #incidents; the resolution's broadcast is
    # its own outbox row, refused a moment after the channel's notice arrived.
    three_refused = 'incidentbot_outbox_dead{error="is_archived",kind="post"} 3.0'

    def metrics_once_refused() -> str:
        text = httpx.get(f"{bot.url}/metrics").text
        return text if three_refused in text else ""

    scraped = slack.wait_for(metrics_once_refused, what="three refused broadcasts on /metrics")
    assert 'incidentbot_outbox_dead{error="user_is_restricted",kind="invite"} 1.0' in scraped
    listed = _cli(bot, "outbox", "--dead")
    assert listed.returncode == 0, listed.stderr
    dead = dict(re.findall(r"^\s*(\d+)\s+INC-\d+\s+(\w+)", listed.stdout, re.MULTILINE))
    assert sorted(dead.values()) == ["invite", "post", "post", "post"]
    assert "Slack refuses apps inviting guests (user_is_restricted)" in listed.stdout
    invite_id = next(i for i, kind in dead.items() if kind == "invite")
    post_ids = [i for i, kind in dead.items() if kind == "post"]

    # The broadcast channel is unarchived: the refused update is owed again and arrives.
    slack.channels[broadcast].is_archived = False
    for post_id in post_ids:
        assert _cli(bot, "outbox", "retry", post_id).returncode == 0
    bot.command("note broadcast is back", user=ALICE, channel=channel.id)  # drains the incident
    slack.wait_for(
        lambda: [
            m for m in slack.channels[broadcast].messages if "Rolled back the scorer" in m["text"]
        ],
        what="the retried update in the broadcast channel",
    )
    assert _cli(bot, "outbox", "drop", invite_id).returncode == 0
    assert _cli(bot, "outbox", "--dead").stdout.strip() == "No dead work."
    assert _cli(bot, "outbox", "retry", invite_id).returncode == 1  # gone


def _cli(bot: BotProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, DATABASE_URL=bot.database_url)
