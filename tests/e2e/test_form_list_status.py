"""The declare form, /incident list, status and help, as a user meets them."""

from __future__ import annotations

from bot.sandbox import SlackStandIn, reading
from bot.sandbox.reading import readable
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import stored_counts, stored_incidents
from tests.support import BotProcess


def test_bare_declare_opens_a_form_that_declares_on_submit(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    result = bot.command("declare", user=ALICE, channel=general)
    assert result.http.status_code == 200 and result.ack_text == ""
    opened = slack.wait_for(lambda: slack.calls_to("views.open"), what="views.open")
    assert opened[0]["ok"], opened[0]
    view_id = opened[0]["result"]["view"]["id"]

    submitted = slack.submit_view(
        bot.url,
        user=ALICE,
        view_id=view_id,
        values={
            "title": "Credit model denies applicants from one region",
            "severity": "sev2",
            "service": "credit-scorer v7",
            "category": "bias-fairness",
            "detection": "external",
            "description": "Approval rate in region 4 fell from 61% to 12% after Tuesday's run.",
        },
    )
    assert submitted.status_code == 200 and submitted.content in (b"", b"{}")
    reply = result.wait_reply()
    assert reply["text"].startswith("Declared INC-1 (SEV2)")

    channel = slack.wait_for(
        lambda: slack.channel_named(
            next((c.name for c in slack.channels.values() if c.name.startswith("inc-")), "-")
        ),
        what="channel",
    )
    assert channel.name.endswith("-credit-model-denies-applicants-from-one-region")
    summary = channel.summary()
    assert "credit-scorer v7" in summary
    assert "Bias or fairness violation" in summary
    assert "region 4 fell from 61% to 12%" in summary
    assert "SEV2 · high" in summary
    assert [i.detection for i in stored_incidents(bot.database_url)] == ["external"]


def test_the_form_points_at_the_field_that_is_wrong_and_declares_nothing(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    bot.command("declare", user=ALICE, channel=general)
    opened = slack.wait_for(lambda: slack.calls_to("views.open"), what="views.open")
    view_id = opened[0]["result"]["view"]["id"]
    submitted = slack.submit_view(
        bot.url, user=ALICE, view_id=view_id, values={"title": "   ", "severity": "sev3"}
    )
    assert submitted.status_code == 200
    assert submitted.json() == {
        "response_action": "errors",
        "errors": {"title": "The incident needs a title: say in a few words what is wrong."},
    }
    assert stored_counts(bot.database_url) == (0, 0)


def test_list_shows_open_incidents_most_severe_first(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    empty = bot.command("list", user=BOB, channel=general).wait_reply()
    assert "No open incidents" in readable(empty["blocks"])
    for text in ("declare sev3 Confidence trending down", "declare sev1 Fraud model flags 40%"):
        bot.command(text, user=ALICE, channel=general).wait_reply()
    listing = bot.command("list", user=BOB, channel=general).wait_reply()
    shown = readable(listing["blocks"])
    assert "Open incidents: 2" in shown
    assert shown.index("Fraud model flags 40%") < shown.index("Confidence trending down")
    channels = {i.title: i.channel_id for i in stored_incidents(bot.database_url)}
    assert f"<#{channels['Fraud model flags 40%']}>" in shown


def test_status_in_an_incident_channel_shows_its_summary(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    bot.command("declare sev2 Forecasts 40% off", user=ALICE, channel=general).wait_reply()
    channel_id = stored_incidents(bot.database_url)[0].channel_id
    assert channel_id
    status = bot.command("status", user=ALICE, channel=channel_id).wait_reply()
    assert status.get("response_type", "ephemeral") == "ephemeral"
    shown = readable(status["blocks"])
    assert "INC-1: Forecasts 40% off" in shown and "SEV2 · high" in shown


def test_help_lists_the_commands_at_once(bot: BotProcess, general: str) -> None:
    for text in ("help", ""):
        result = bot.command(text, user=ALICE, channel=general)
        sent = result.ack_text
        shown = reading.shown(sent)  # what a person reads: code marks gone, <sev> as written
        assert "/incident declare <sev> <title>" in shown
        assert "`/incident list`" in sent and "`/incident status`" in sent
        assert "p0–p3 (p0 is SEV1)" in shown
        for command in ("note <text>", "timeline [page]", "postmortem", "action <what>", "drift <"):
            assert f"/incident {command}" in shown
        assert ":pushpin:" in sent and "*Add to incident timeline*" in sent


def test_a_form_slack_will_not_open_gets_a_way_forward(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    slack.fail_next("views.open", status=200, error="expired_trigger_id")
    result = bot.command("declare", user=ALICE, channel=general)
    reply = result.wait_reply()
    assert "Slack would not open the declare form in time" in reply["text"]
    assert "`/incident declare sev2 <what is wrong>`" in reply["text"]
    assert stored_counts(bot.database_url) == (0, 0)
