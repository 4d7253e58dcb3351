"""A serious incident through the real `incidentbot serve` and signed Slack requests: the
assessment's form opened by `/incident assess` and submitted, the clock on the pinned
summary, a refusal that names who can, and the report's drafts uploaded to the channel."""

from __future__ import annotations

import pytest

from bot.sandbox import SlackStandIn
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import declare, timeline_kinds
from tests.support import BotProcess


@pytest.fixture
def bot_env() -> dict[str, str]:
    return {"INCIDENTBOT_REPORTING": "eu-ai-act", "INCIDENTBOT_PROVIDER_NAME": "Acme Payments"}


def test_assess_then_draft_the_report(bot: BotProcess, slack: SlackStandIn, general: str) -> None:
    slack.add_user(BOB, "bob")
    channel, incident = declare(bot, slack, general, "declare sev1 Scorer denies loans by postcode")
    slack.join(BOB, channel.id)

    refused = bot.command("assess", user=BOB, channel=channel.id).wait_reply()
    assert refused["text"].startswith(f"Only the Incident Commander, <@{ALICE}>,")

    bot.command("assess", user=ALICE, channel=channel.id)
    opened = slack.wait_for(lambda: slack.calls_to("views.open"), what="views.open")
    assert opened[-1]["ok"], opened[-1]
    submitted = slack.submit_view(
        bot.url,
        user=ALICE,
        view_id=opened[-1]["result"]["view"]["id"],
        values={
            "criterion:fundamental-rights": "yes",
            "widespread": "yes",
            "member_states": ["DE", "FR"],
            "causal": "established",
            "note": "<!channel> approvals fell for one postcode",
        },
    )
    assert submitted.status_code == 200 and submitted.content in (b"", b"{}")
    said = slack.wait_for(
        lambda: [m for m in channel.public() if "serious incident" in m["text"]],
        what="the verdict",
    )
    assert "in 2 days (a widespread infringement)" in said[-1]["text"]
    slack.wait_for(lambda: "Serious incident:" in channel.summary(), what="the summary's clock")
    assert "Legal Liaison" in channel.summary()

    bot.command("authority-report initial", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: len(channel.files) >= 2, what="the drafts")
    names = sorted(f["name"] for f in channel.files)
    assert names == [
        f"INC-{incident.id}-initial-report.html",
        f"INC-{incident.id}-initial-report.md",
    ]
    draft = next(f for f in channel.files if f["name"].endswith(".md"))["content"].decode()
    assert "DE, FR" in draft and "Acme Payments" in draft
    assert not [m for m in channel.messages if "<!channel>" in m["text"]]  # nothing typed pings
    kinds = timeline_kinds(bot.database_url, incident.id)
    assert {"serious_assessed", "authority_report_drafted"} <= set(kinds)
