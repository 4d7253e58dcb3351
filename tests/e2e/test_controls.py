"""The pinned summary's controls: pick people for roles, change the severity."""

from __future__ import annotations

from bot.sandbox import SlackStandIn
from tests.conftest import ALICE, BOB, CARA
from tests.e2e.helpers import declare, pick_for_role, timeline_kinds
from tests.support import BotProcess


def test_picking_a_commander_updates_summary_topic_and_channel(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    pick_for_role(slack, bot.url, channel, "commander", BOB, by=ALICE)
    slack.wait_for(lambda: "Commander: <@U0BOB0002>" in channel.topic, what="topic update")
    assert BOB in channel.members
    assert "*Incident Commander*\n<@U0BOB0002>" in channel.summary()
    assert "(the Incident Commander) answers for it" in channel.summary()
    said = slack.wait_for(
        lambda: [m["text"] for m in channel.public() if "is now Incident Commander" in m["text"]],
        what="the announcement",
    )
    assert said == [
        "<@U0BOB0002> is now Incident Commander (set by <@U0ALICE01>) — runs the "
        "response; owns severity, decisions and hand-overs."
    ]
    brief = slack.wait_for(lambda: channel.private_to(BOB), what="Bob's brief")
    assert brief[0]["text"].startswith("*You are Incident Commander for INC-1.*")
    assert timeline_kinds(bot.database_url, incident.id)[-1] == "role_assigned"


def test_handing_a_role_over_says_so(bot: BotProcess, slack: SlackStandIn, general: str) -> None:
    channel, _ = declare(bot, slack, general)
    for person in (BOB, CARA):
        pick_for_role(slack, bot.url, channel, "ml-lead", person, by=ALICE)
        slack.wait_for(lambda p=person: f"*ML Lead*\n<@{p}>" in channel.summary())
    slack.wait_for(
        lambda: any(
            "<@U0CARA003> takes over as ML Lead from <@U0BOB0002>" in (m["text"] or "")
            for m in channel.messages
        ),
        what="the hand-over message",
    )


def test_a_deactivated_account_cannot_take_a_role(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    slack.add_user("U0GONE004", "gone", deleted=True)
    channel, incident = declare(bot, slack, general)
    key = pick_for_role(slack, bot.url, channel, "data-lead", "U0GONE004", by=ALICE)
    reply = slack.wait_for(lambda: slack.responses.get(key), what="ephemeral answer")
    assert "cannot hold a role" in reply[0]["text"]
    assert reply[0].get("response_type", "ephemeral") == "ephemeral"
    assert "*Data Lead*\n_unassigned" in channel.summary()
    assert timeline_kinds(bot.database_url, incident.id)[-1] != "role_assigned"


def test_changing_severity_redraws_the_summary_and_topic(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    slack.block_action(
        bot.url,
        user=ALICE,  # she declared it: she commands until someone holds the role
        channel=channel.id,
        message_ts=channel.pins[0],
        action={
            "action_id": "severity_select",
            "selected_option": {
                "value": "sev1",
                "text": {"type": "plain_text", "text": "SEV1 · critical"},
            },
        },
    )
    slack.wait_for(lambda: channel.topic.startswith("SEV1 (critical)"), what="topic")
    assert "SEV1 · critical" in channel.summary()
    slack.wait_for(
        lambda: any(
            "raised the severity from SEV3 to SEV1" in (m["text"] or "") for m in channel.messages
        ),
        what="the announcement",
    )
    assert timeline_kinds(bot.database_url, incident.id)[-1] == "severity_changed"
