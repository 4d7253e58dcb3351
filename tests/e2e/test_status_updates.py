"""Status updates on the severity's cadence: nudges on time, updates that reset the clock,
resolution that stops it, and a restart that neither loses nor bursts."""

from __future__ import annotations

import pytest

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import readable
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import declare, nudges, stored_incidents, timeline_kinds
from tests.support import BotProcess

CADENCE = "sev1=1s,sev2=1s,sev3=1s,sev4=0"


@pytest.fixture
def bot_env() -> dict[str, str]:
    return {"INCIDENTBOT_STATUS_UPDATE_EVERY": CADENCE}


def test_the_running_bot_nudges_and_an_update_reaches_everyone(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    """The scheduler in the real process sends nudges; the cadence itself (an update
    restarting it, resolving stopping it, two missed telling the Commander, one catch-up
    after a stop) is driven by an injected clock in tests/app/test_nudges.py."""
    channel = declare(bot, slack, general, "declare sev3 Ranker CTR down 15%")[0]
    first = slack.wait_for(lambda: nudges(channel), timeout=10, what="the first nudge")[0]
    assert "Nobody holds Comms Lead or Incident Commander yet." in readable(first["blocks"])
    assert "first notice" in readable(first["blocks"])

    bot.command("role comms-lead <@U0BOB0002|bob>", user=ALICE, channel=channel.id)
    slack.wait_for(
        lambda: [m for m in channel.public() if m["text"].startswith("First notice for INC-1")],
        what="the first-notice proposal to the new Comms Lead",
    )
    bot.command(
        "update Ranker shows stale items to 15% of users; rolling back. Next update 10:30.",
        user=BOB,
        channel=channel.id,
    )
    slack.wait_for(
        lambda: [m for m in channel.public() if m["text"].startswith("*First notice* from")],
        what="the update in the channel",
    )
    told = slack.wait_for(
        lambda: [m for m in slack.channels[broadcast].messages if "*First notice*" in m["text"]],
        what="the update in the broadcast channel",
    )
    assert "rolling back" in told[0]["text"]
    slack.wait_for(
        lambda: "Last status update <!date^" in channel.summary(),
        what="the summary to show when stakeholders last heard",
    )
    assert "next update due <!date^" in channel.summary()
    count = len(nudges(channel))
    after = slack.wait_for(
        lambda: len(nudges(channel)) > count and nudges(channel)[-1], timeout=10, what="next nudge"
    )
    assert "<@U0BOB0002>" in readable(after["blocks"])  # addressed to the Comms Lead

    bot.command("resolve Rolled back to ranker v7", user=ALICE, channel=channel.id)
    resolution = slack.wait_for(
        lambda: [m for m in slack.channels[broadcast].messages if "INC-1 resolved" in m["text"]],
        what="the resolution",
    )[0]["text"]
    assert "*What happened:* Rolled back to ranker v7" in resolution
    kinds = timeline_kinds(bot.database_url, 1)
    assert kinds.count("status_update") == 2  # the first notice and the resolution


def test_updates_and_nudge_buttons_refuse_what_cannot_be_done(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel = declare(bot, slack, general, "declare sev3 Ranker CTR down 15%")[0]
    empty = bot.command("update", user=BOB, channel=general).wait_reply()
    assert "works inside an incident channel" in empty["text"]
    long = bot.command("update " + "x" * 3001, user=BOB, channel=channel.id).wait_reply()
    assert long["text"].startswith("That update is 3001 characters")
    nudge = slack.wait_for(lambda: nudges(channel), timeout=10, what="a nudge")[0]
    bot.command("resolve", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: stored_incidents(bot.database_url)[0].status == "resolved")
    late = bot.command("update all good", user=BOB, channel=channel.id).wait_reply()
    assert late["text"].startswith("INC-1 is resolved; no more status updates are due.")
    button = next(
        e
        for b in nudge["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "status_update_open"
    )
    _, key = slack.block_action(
        bot.url,
        user=BOB,
        channel=channel.id,
        message_ts=nudge["ts"],
        action={"action_id": "status_update_open", "value": button["value"]},
    )
    answer = slack.wait_for(lambda: slack.responses.get(key), what="the refusal")[0]
    assert answer["text"] == "INC-1 is resolved; no more status updates are due."
    assert timeline_kinds(bot.database_url, 1).count("status_update") == 1  # the resolution


def test_the_form_is_drafted_from_the_template_and_reaches_stakeholders(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    channel = declare(bot, slack, general, "declare sev3 Ranker CTR down 15%")[0]
    clients = slack.add_channel("risk-clients", members={ALICE})
    bot.command("update", user=BOB, channel=channel.id)
    view = slack.wait_for(lambda: list(slack.views.values()), what="the update form")[-1]
    draft = readable(view["blocks"])
    assert "INC-1 (SEV3, medium): Ranker CTR down 15%" in draft
    assert "*Next update:* " in draft and "UTC" in draft
    response = slack.submit_view(
        bot.url, user=BOB, view_id=view["id"], values={"text": "  ", "stakeholders": []}
    )
    assert response.json()["errors"] == {"text": "Write the update, or press Cancel."}
    drafted = next(b for b in view["blocks"] if b.get("block_id") == "text")["element"]
    unchanged = slack.submit_view(
        bot.url,
        user=BOB,
        view_id=view["id"],
        values={"text": drafted["initial_value"], "stakeholders": []},
    )
    assert unchanged.json()["errors"]["text"].startswith(
        "Replace or delete the parts in brackets first, e.g. [Say who notices it"
    )
    here = slack.submit_view(
        bot.url,
        user=BOB,
        view_id=view["id"],
        values={"text": "Ranker rolled back.", "stakeholders": [clients, channel.id]},
    )
    assert here.json()["errors"] == {
        "stakeholders": "This incident's own channel gets every update without being "
        "picked; take it out of this list."
    }
    slack.submit_view(
        bot.url,
        user=BOB,
        view_id=view["id"],
        values={"text": "Ranker rolled back; CTR recovering.", "stakeholders": [clients]},
    )
    for target in (broadcast, clients):
        slack.wait_for(
            lambda t=target: [
                m for m in slack.channels[t].messages if "CTR recovering" in m["text"]
            ],
            what=f"the update in {target}",
        )
    (incident,) = stored_incidents(bot.database_url)
    assert incident.stakeholder_channels == [clients]
    assert incident.last_update_at is not None
