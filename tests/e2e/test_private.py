"""Private incidents: a private channel without the title in its name, a broadcast that says
only that one exists, lists that hide it from outsiders, updates only where the Commander
says, the post-mortem kept in the channel; and moving a public incident into private."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.sandbox import SlackStandIn
from bot.sandbox.acting import BOT_USER
from bot.sandbox.reading import readable
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, deliver
from tests.conftest import ALICE, BOB, CARA
from tests.e2e.helpers import actors_of, stored_incidents, timeline_kinds
from tests.support import BotProcess

TITLE = "Support chatbot repeats customer card numbers"
SECRET_WORDS = ("chatbot", "card numbers")
ONCALL = "S0ONCALL1"
EVE = "U0EVE0005"


@pytest.fixture
def bot_env() -> dict[str, str]:
    return {
        **ALERT_ENV,
        "INCIDENTBOT_RESPONDERS": ONCALL,
        "INCIDENTBOT_ALERT_ROUTES": "security=declare+private,*=declare",
    }


@pytest.fixture(autouse=True)
def oncall(slack: SlackStandIn) -> None:
    slack.add_usergroup(ONCALL, {CARA})


def free_of_title(*texts: Any) -> bool:
    shown = " ".join(str(t) for t in texts).lower()
    return not any(word in shown for word in SECRET_WORDS)


def declare_private(bot: BotProcess, slack: SlackStandIn, general: str) -> Any:
    result = bot.command(f"declare sev1 --private {TITLE}", user=ALICE, channel=general)
    assert result.ack_text == f"Declaring a SEV1 private incident: {TITLE}…"  # only Alice sees it
    result.wait_reply()
    incident = stored_incidents(bot.database_url)[-1]
    return slack.channels[incident.channel_id], incident


def everything_in(slack: SlackStandIn, channel_id: str) -> list[Any]:
    channel = slack.channels[channel_id]
    return [m.get("text") for m in channel.messages] + [m.get("blocks") for m in channel.messages]


def test_a_private_incident_keeps_its_title_to_its_channel(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    channel, incident = declare_private(bot, slack, general)
    today = datetime.now(UTC).strftime("%Y%m%d")
    assert incident.private
    assert channel.is_private and channel.name == f"inc-{today}-private-{incident.id}"
    assert channel.members == {BOT_USER, ALICE}
    slack.wait_for(lambda: slack.channels[broadcast].messages, what="the announcement")
    announced = slack.channels[broadcast].messages[0]
    assert "A private incident, INC-1, is under way. Incident Commander: <@U0ALICE01>" in readable(
        announced["blocks"]
    )
    assert free_of_title(everything_in(slack, broadcast))
    assert "<#" not in str(announced)  # no way to join
    assert TITLE in readable(channel.messages[0]["blocks"])  # its members see what it is about

    # /incident list: Bob is not in the channel, so for him there is nothing open.
    for_bob = bot.command("list", user=BOB, channel=general).wait_reply()
    assert for_bob["text"] == "Open incidents: 0"
    assert free_of_title(for_bob) and "INC-1" not in str(for_bob)
    for_alice = bot.command("list", user=ALICE, channel=general).wait_reply()
    assert for_alice["text"] == "Open incidents: 1" and TITLE in readable(for_alice["blocks"])

    # A status update reaches no channel the Commander did not pick.
    bot.command("update Blocked the chatbot's answers", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: "status_update" in timeline_kinds(bot.database_url, incident.id))
    bot.command("severity sev2", user=ALICE, channel=channel.id)
    said = slack.wait_for(
        lambda: [m["text"] for m in slack.channels[broadcast].messages[1:]],
        what="the broadcast's line on the severity",
    )
    assert said == [":lock: Private incident INC-1 lowered from SEV1 to SEV2."]

    # The post-mortem goes into the private channel and nowhere else.
    bot.command("postmortem", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: channel.files, what="the post-mortem upload")
    uploads = slack.calls_to("files.completeUploadExternal")
    assert uploads and {c["args"].get("channel_id") for c in uploads} == {channel.id}
    assert [c.id for c in slack.channels.values() if c.files] == [channel.id]

    bot.command("resolve Answers filtered", user=ALICE, channel=channel.id)
    slack.wait_for(
        lambda: (
            ":lock: Private incident INC-1 is resolved."
            in [m["text"] for m in slack.channels[broadcast].messages]
        ),
        what="the broadcast's line on the resolution",
    )
    assert free_of_title(everything_in(slack, broadcast), everything_in(slack, general))
    metrics = httpx.get(bot.url + "/metrics", timeout=5).text
    assert free_of_title(metrics)


def test_a_private_incidents_updates_go_where_its_commander_picks(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    channel, _incident = declare_private(bot, slack, general)
    legal = slack.add_channel("legal-team", members={ALICE})
    bot.command(f"role ml-lead <@{BOB}|bob>", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: BOB in channel.members, what="Bob invited")

    def submit(user: str) -> None:
        views_before = set(slack.views)
        bot.command("update", user=user, channel=channel.id)
        view_id = slack.wait_for(lambda: set(slack.views) - views_before, what="the form").pop()
        assert "only to the channels below" in readable(slack.views[view_id]["blocks"])
        slack.submit_view(
            bot.url,
            user=user,
            view_id=view_id,
            values={"text": f"Update from {user}: answers filtered", "stakeholders": [legal]},
        )

    submit(BOB)
    refused = slack.wait_for(
        lambda: [m for m in channel.private_to(BOB) if m["text"].startswith("Only")],
        what="Bob's refusal",
    )[0]["text"]
    assert refused.startswith("Only the Incident Commander, <@U0ALICE01>, or a member of")
    assert "choose where INC-1's status updates go while it is private" in refused
    assert slack.channels[legal].messages == []

    submit(ALICE)
    slack.wait_for(lambda: slack.channels[legal].messages, what="the update in #legal-team")
    assert stored_incidents(bot.database_url)[0].stakeholder_channels == [legal]
    assert all("answers filtered" not in m["text"] for m in slack.channels[broadcast].messages)


def test_the_declare_form_proposes_private_for_a_data_leak(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    bot.command("declare", user=ALICE, channel=general)
    view_id = slack.wait_for(lambda: list(slack.views), what="the declare form")[0]
    assert "private" in [b.get("block_id") for b in slack.views[view_id]["blocks"]]
    slack.view_action(
        bot.url,
        user=ALICE,
        view_id=view_id,
        block_id="category",
        action={"selected_option": {"value": "data-leak"}},
    )
    proposed = slack.wait_for(
        lambda: [
            b
            for b in slack.views[view_id]["blocks"]
            if b.get("block_id") == "private_proposed" and b["element"].get("initial_options")
        ],
        what="Private proposed",
    )
    assert proposed[0]["element"]["initial_options"][0]["value"] == "private"
    slack.submit_view(
        bot.url,
        user=ALICE,
        view_id=view_id,
        values={
            "title": TITLE,
            "severity": "sev2",
            "category": "data-leak",
            "private_proposed": ["private"],
        },
    )
    incident = slack.wait_for(
        lambda: [i for i in stored_incidents(bot.database_url) if i.channel_id],
        what="the incident",
    )[0]
    assert incident.private and incident.failure_category == "data-leak"
    assert slack.channels[incident.channel_id].is_private


def test_a_public_incident_moves_into_a_private_channel(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    bot.command(f"declare sev2 {TITLE}", user=ALICE, channel=general).wait_reply()
    incident = stored_incidents(bot.database_url)[0]
    old = slack.channels[incident.channel_id]
    slack.add_user(EVE, "eve")
    old.members.update({CARA, EVE})  # they joined the public channel themselves
    bot.command(f"role ml-lead <@{BOB}|bob>", user=ALICE, channel=old.id)
    slack.wait_for(lambda: BOB in old.members, what="Bob invited")
    slack.wait_for(lambda: slack.channels[broadcast].messages, what="the announcement")
    assert not free_of_title(everything_in(slack, broadcast))  # public so far

    refused = bot.command("private", user=BOB, channel=old.id).wait_reply()["text"]
    assert refused.startswith("Only the Incident Commander, <@U0ALICE01>, or a member of")
    assert "can make INC-1 private." in refused
    assert not stored_incidents(bot.database_url)[0].private

    # Cara is a responder: she may, and comes along although she holds no role.
    moved = bot.command("private", user=CARA, channel=old.id).wait_reply()["text"]
    now = stored_incidents(bot.database_url)[0]
    assert now.private and now.channel_id != old.id
    new = slack.channels[now.channel_id]
    assert moved == f"INC-1 moved to <#{new.id}>."
    assert new.is_private and "private-1" in new.name
    slack.wait_for(lambda: CARA in new.members, what="the mover invited")
    assert new.members == {BOT_USER, ALICE, BOB, CARA}  # not Eve: she was only watching
    slack.wait_for(lambda: old.is_archived, what="the old channel archived")
    assert old.name == f"inc-{datetime.now(UTC):%Y%m%d}-moved-1"  # the title left its name
    notice = [m["text"] for m in old.messages if m["text"].startswith(":lock:")]
    assert notice and "made INC-1 private" in notice[0] and new.name not in notice[0]
    slack.wait_for(
        lambda: free_of_title(everything_in(slack, broadcast)), what="the announcement redrawn"
    )
    assert "A private incident, INC-1, is under way" in readable(
        slack.channels[broadcast].messages[0]["blocks"]
    )
    slack.wait_for(lambda: new.pins, what="the summary pinned in the new channel")
    assert TITLE in readable(new.messages[0]["blocks"])
    assert actors_of(bot.database_url, incident.id, "made_private") == [CARA]
    slack.channels[general].members.add(EVE)
    for_eve = bot.command("list", user=EVE, channel=general).wait_reply()
    assert "INC-1" not in str(for_eve) and free_of_title(for_eve)

    # Work goes on in the new channel; the old one is no incident's any more.
    bot.command("note Filter deployed", user=BOB, channel=new.id)
    slack.wait_for(lambda: any("Filter deployed" in m["text"] for m in new.messages))
    again = bot.command("private", user=ALICE, channel=new.id).wait_reply()["text"]
    assert again == "INC-1 is private already."


def test_an_alert_route_declares_privately_and_invites_the_responders(
    bot: BotProcess, slack: SlackStandIn, broadcast: str
) -> None:
    body = payloads.generic(title=TITLE, route="security", dedup_key="leak-1")
    assert deliver(bot, "generic", body)["result"] == "declared"
    incident = slack.wait_for(
        lambda: [i for i in stored_incidents(bot.database_url) if i.announced_ts],
        what="the set-up",
    )[0]
    channel = slack.channels[incident.channel_id]
    assert incident.private and channel.is_private and "private" in channel.name
    assert channel.members == {BOT_USER, CARA}  # no declarer: the responders group
    assert free_of_title(everything_in(slack, broadcast))
    announced = readable(slack.channels[broadcast].messages[0]["blocks"])
    assert "No Incident Commander named yet" in announced
    # Nobody commands it yet: only a responder steers, and Cara is one.
    bot.command("severity sev1", user=CARA, channel=channel.id)
    slack.wait_for(lambda: stored_incidents(bot.database_url)[0].severity == "sev1")
