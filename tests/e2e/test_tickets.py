"""Tickets and the wiki end to end: the real ``incidentbot serve`` files an action item
in the Jira or GitHub stand-in from a signed Slack command, takes the tracker's signed
webhook over HTTP (a bad signature is 401 and changes nothing; a ticket not ours is
ignored), and ``incidentbot postmortem N --publish`` writes the Confluence page."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.sandbox import SlackStandIn
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import declare, timeline_kinds
from tests.support import BotProcess, run_cli
from tests.tracker_standins import confluence as wiki_standin
from tests.tracker_standins import github as github_standin
from tests.tracker_standins import jira as jira_standin
from tests.tracker_standins.confluence import ConfluenceStandIn
from tests.tracker_standins.github import GitHubStandIn
from tests.tracker_standins.jira import JiraStandIn

SECRET = "tracker-webhook-secret"


def wiki_env(confluence: ConfluenceStandIn) -> dict[str, str]:
    return {
        "INCIDENTBOT_CONFLUENCE_URL": confluence.url,
        "INCIDENTBOT_CONFLUENCE_EMAIL": wiki_standin.EMAIL,
        "INCIDENTBOT_CONFLUENCE_TOKEN": wiki_standin.TOKEN,
        "INCIDENTBOT_CONFLUENCE_SPACE": wiki_standin.SPACE_KEY,
    }


@pytest.fixture(params=["jira", "github"])
def bot_env(
    request: pytest.FixtureRequest,
    jira: JiraStandIn,
    github: GitHubStandIn,
    confluence: ConfluenceStandIn,
) -> dict[str, str]:
    if request.param == "jira":
        tracker = {
            "INCIDENTBOT_JIRA_URL": jira.url,
            "INCIDENTBOT_JIRA_EMAIL": jira_standin.EMAIL,
            "INCIDENTBOT_JIRA_TOKEN": jira_standin.TOKEN,
            "INCIDENTBOT_JIRA_PROJECT": "FRAUD",
            "INCIDENTBOT_JIRA_WEBHOOK_SECRET": SECRET,
        }
    else:
        tracker = {
            "INCIDENTBOT_GITHUB_URL": github.url,
            "INCIDENTBOT_GITHUB_TOKEN": github_standin.TOKEN,
            "INCIDENTBOT_GITHUB_REPO": github.repo,
            "INCIDENTBOT_GITHUB_WEBHOOK_SECRET": SECRET,
        }
    return {"INCIDENTBOT_TRACKER_UNDER_TEST": request.param, **tracker, **wiki_env(confluence)}


def test_an_action_item_filed_from_slack_is_marked_done_by_the_trackers_signed_webhook(
    bot: BotProcess,
    slack: SlackStandIn,
    general: str,
    bot_env: dict[str, str],
    jira: JiraStandIn,
    github: GitHubStandIn,
) -> None:
    channel, incident = declare(bot, slack, general, "declare sev2 Fraud model flags payments")
    bot.command(
        "action Alert on null rates <!channel> --ticket", user=BOB, channel=channel.id
    ).wait_reply()
    using_jira = bot_env["INCIDENTBOT_TRACKER_UNDER_TEST"] == "jira"
    standin: Any = jira if using_jira else github
    slack.wait_for(lambda: standin.issues, what="the ticket")
    (issue,) = standin.issues.values()
    title = issue.summary if using_jira else issue.title
    assert title == f"{incident.reference}: Alert on null rates @channel"  # a name, no markup
    slack.wait_for(lambda: channel.saying(":ticket: Filed"), what="the channel told")

    if using_jira:
        hook, body = bot.url + "/jira/webhook", jira.close(issue.key)
        deliver = jira.deliver
    else:
        hook, body = bot.url + "/github/webhook", github.close(issue.number)
        deliver = github.deliver
    forged = deliver(hook, body, "someone-elses-secret")
    assert forged.status_code == 401 and "does not match" in forged.json()["error"]
    unsigned = httpx.post(hook, json=body)
    assert unsigned.status_code == 401
    assert "action_item_done" not in timeline_kinds(bot.database_url, incident.id)

    done = deliver(hook, body, SECRET)
    assert done.status_code == 200 and done.json()["outcome"] == "the action item is marked done"
    slack.wait_for(lambda: channel.saying("so the action item"), what="the item marked done")
    assert timeline_kinds(bot.database_url, incident.id).count("action_item_done") == 1
    again = deliver(hook, body, SECRET)  # a redelivery changes nothing
    assert again.json()["outcome"].startswith("not one of our open tickets")
    if using_jira:
        stranger = dict(body, issue={**body["issue"], "key": "OTHER-9"})
    else:
        stranger = dict(body, issue={**body["issue"], "number": 999})
    assert deliver(hook, stranger, SECRET).json()["outcome"].startswith("not one of our")
    assert timeline_kinds(bot.database_url, incident.id).count("action_item_done") == 1


def test_the_command_line_publishes_the_same_page_the_channel_does(
    bot: BotProcess,
    slack: SlackStandIn,
    general: str,
    confluence: ConfluenceStandIn,
    bot_env: dict[str, str],
) -> None:
    if bot_env["INCIDENTBOT_TRACKER_UNDER_TEST"] != "jira":
        return  # the wiki is the same whichever tracker: once is enough
    channel, incident = declare(bot, slack, general, "declare sev2 Ranker CTR down 15%")
    answer = bot.command("postmortem --publish", user=ALICE, channel=channel.id).wait_reply()
    assert (
        answer["text"]
        == "Publishing the post-mortem to Confluence; this channel hears when it is there."
    )
    slack.wait_for(lambda: confluence.pages, what="the page")
    slack.wait_for(lambda: channel.saying("published in Confluence"), what="the link")
    (page,) = confluence.pages.values()

    ran = run_cli(
        "postmortem",
        incident.reference,
        "--publish",
        DATABASE_URL=bot.database_url,
        **wiki_env(confluence),
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == (
        f"incidentbot: Post-mortem {incident.reference}: Ranker CTR down 15%, version 2: "
        f"{wiki_standin.SITE}/spaces/MLOPS/pages/{page.id}"
    )
    assert len(confluence.pages) == 1 and page.version == 2
    slack.wait_for(
        lambda: channel.saying("updated in Confluence from the command line"), what="told"
    )

    unset = run_cli("postmortem", incident.reference, "--publish", DATABASE_URL=bot.database_url)
    assert unset.returncode == 2 and "publishing is not set up" in unset.stderr
    bad = bot.command("postmortem --pubilsh", user=ALICE, channel=channel.id)
    assert bad.ack_text.startswith("Usage: `/incident postmortem`")
