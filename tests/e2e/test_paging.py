"""Paging end to end: the real ``incidentbot serve`` pages the PagerDuty stand-in when a
SEV1 is declared in Slack, takes PagerDuty's signed webhooks over HTTP, and answers
``/incident page`` and ``/incident oncall``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.sandbox import SlackStandIn
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import declare, events_of, timeline_kinds
from tests.pager_standins.pagerduty import TOKEN, PagerDutyStandIn
from tests.support import BotProcess

ONCALL = "U0ONCALL1"
SECRETS = ["retiring-secret", "current-secret"]


@pytest.fixture
def pagerduty() -> Iterator[PagerDutyStandIn]:
    with PagerDutyStandIn() as pd:
        pd.add_user("PUONCALL", "Olive Oncall", "olive@example.com")
        pd.add_user("PUBOT", "Incident Bot", "bot@example.com")
        pd.add_service("PDEFAULT", "ML platform", [["PUONCALL"]])
        yield pd


@pytest.fixture
def bot_env(pagerduty: PagerDutyStandIn, slack: SlackStandIn) -> dict[str, str]:
    slack.add_user(ONCALL, "olive", email="olive@example.com")
    return {
        "INCIDENTBOT_PAGERDUTY_TOKEN": TOKEN,
        "INCIDENTBOT_PAGERDUTY_FROM": "bot@example.com",
        "INCIDENTBOT_PAGERDUTY_URL": pagerduty.url,
        "INCIDENTBOT_PAGERDUTY_SERVICE": "PDEFAULT",
        "INCIDENTBOT_PAGERDUTY_WEBHOOK_SECRET": "current-secret",
    }


def test_a_sev1_declared_in_slack_pages_and_pagerduty_reports_back_over_signed_webhooks(
    bot: BotProcess, slack: SlackStandIn, general: str, pagerduty: PagerDutyStandIn
) -> None:
    channel, incident = declare(bot, slack, general, "declare sev1 Fraud model flags payments")
    slack.wait_for(lambda: pagerduty.pages_for(f"{incident.reference}:"), what="the page")
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    slack.wait_for(lambda: ONCALL in channel.members, what="the on-call invited")
    slack.wait_for(lambda: "PagerDuty incident" in channel.summary(), what="the page's link")

    hook = bot.url + "/pagerduty/webhook"
    pagerduty.acknowledge(page.id)
    body = pagerduty.delivery("incident.acknowledged", page.id, "Olive Oncall")
    forged = pagerduty.deliver(hook, ["someone-elses-secret"], body)
    assert forged.status_code == 401 and "matches none" in forged.json()["error"]
    unsigned = httpx.post(hook, content=body, headers={"X-Webhook-Id": "W0"})
    assert unsigned.status_code == 401
    assert "page_acknowledged" not in timeline_kinds(bot.database_url, incident.id)

    first = pagerduty.deliver(hook, SECRETS, body, webhook_id="W1")  # rotation: two signatures
    assert first.status_code == 202
    again = pagerduty.deliver(hook, SECRETS, body, webhook_id="W1")  # at least once
    assert again.status_code == 200 and again.json()["duplicate"] is True
    slack.wait_for(lambda: channel.saying("Olive Oncall acknowledged the page"), what="the ack")
    slack.wait_for(lambda: "acknowledged by Olive Oncall" in channel.summary(), what="redraw")
    assert timeline_kinds(bot.database_url, incident.id).count("page_acknowledged") == 1

    bot.command("resolve fixed", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: page.status == "resolved", what="the page resolved in PagerDuty")


def test_page_and_oncall_commands(
    bot: BotProcess, slack: SlackStandIn, general: str, pagerduty: PagerDutyStandIn
) -> None:
    channel, incident = declare(bot, slack, general)  # a SEV3: nobody paged by the rules
    assert pagerduty.pages_for(f"{incident.reference}:") == []
    reply = bot.command("page the ranker is on fire", user=BOB, channel=channel.id).wait_reply()
    assert reply["text"] == "Paging the on-call; the channel hears when it is sent."
    slack.wait_for(lambda: pagerduty.pages_for(f"{incident.reference}:"), what="the page")
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    assert "Message: the ranker is on fire" in page.details
    (event,) = events_of(bot.database_url, incident.id, "paged")
    assert event.actor == BOB

    who = bot.command("oncall", user=BOB, channel=general).wait_reply()
    assert who["text"] == "On call for the on-call now (PagerDuty):\n• level 1: Olive Oncall"
    too_long = bot.command("page " + "x" * 600, user=BOB, channel=channel.id)
    assert too_long.ack_text.startswith("A page's message is at most 500 characters")
