"""Routes that ask first: the broadcast channel gets Declare incident / Dismiss, and the
first click wins."""

from __future__ import annotations

import threading

import pytest

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import buttons, message_text, readable
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, counts, deliver, post_alert
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import ROUTE, click, prompts, stored_incidents
from tests.support import BotProcess


@pytest.fixture
def bot_env() -> dict[str, str]:
    # The broadcast channel by name, as many deployments give it: Slack's chat.update
    # takes only IDs, so the prompt must be redrawn by the ID Slack answered with.
    return {
        **ALERT_ENV,
        "INCIDENTBOT_ALERT_ROUTES": f"{ROUTE}=ask,*=declare",
        "INCIDENTBOT_BROADCAST_CHANNEL": "#incidents",
    }


def replies(slack: SlackStandIn, key: str) -> list[str]:
    return [r.get("text", "") for r in slack.responses.get(key, [])]


def test_the_first_of_two_simultaneous_clicks_wins(
    bot: BotProcess, slack: SlackStandIn, broadcast: str, database_url: str
) -> None:
    body = payloads.alertmanager(payloads.am_alert(severity="warning"), receiver=ROUTE)
    assert deliver(bot, "alertmanager", body)["result"] == "asked"
    prompt = slack.wait_for(lambda: prompts(slack, broadcast), what="the prompt")[0]
    assert "Declare incident" in readable(prompt["blocks"]) and "Dismiss" in readable(
        prompt["blocks"]
    )
    assert counts(database_url)["incidents"] == 0
    assert not [c for c in slack.channels.values() if c.name.startswith("inc-")]

    keys: dict[str, str] = {}

    def press(who: str, what: str) -> None:
        keys[who] = click(slack, bot, broadcast, prompt["ts"], who, what)

    threads = [
        threading.Thread(target=press, args=(ALICE, "alert_declare")),
        threading.Thread(target=press, args=(BOB, "alert_dismiss")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    def settled() -> bool:
        return all(replies(slack, keys[w]) for w in (ALICE, BOB)) or any(
            "already" in t for w in (ALICE, BOB) for t in replies(slack, keys[w])
        )

    slack.wait_for(settled, timeout=20, what="both clicks answered")
    already = [w for w in (ALICE, BOB) if any("already" in t for t in replies(slack, keys[w]))]
    assert len(already) == 1, {w: replies(slack, keys[w]) for w in (ALICE, BOB)}
    incidents = stored_incidents(database_url)
    if already == [BOB]:  # Alice's Declare won
        assert len(incidents) == 1 and incidents[0].declared_by == ALICE
        expected = "Declared as INC-1 by <@U0ALICE01>"
    else:
        assert incidents == []
        expected = "Dismissed by <@U0BOB0002>"
    slack.wait_for(
        lambda: expected in readable(prompts(slack, broadcast)[0]["blocks"]),
        what="the prompt to show the decision",
    )
    assert buttons(prompts(slack, broadcast)[0]["blocks"]) == []  # decided: no more choice


def test_declare_from_the_prompt_opens_the_incident_and_links_it(
    bot: BotProcess, slack: SlackStandIn, broadcast: str, database_url: str
) -> None:
    first = payloads.am_alert("FeatureNullsJump", severity="warning")
    body = payloads.alertmanager(first, receiver=ROUTE, group_key="nulls")
    post_alert(bot.url, "alertmanager", body)
    prompt = slack.wait_for(lambda: prompts(slack, broadcast), what="the prompt")[0]
    assert "1 of 1 alert firing" in readable(prompt["blocks"])
    second = payloads.am_alert("FeatureSchemaChanged", severity="warning")
    both = payloads.alertmanager(first, second, receiver=ROUTE, group_key="nulls")
    assert deliver(bot, "alertmanager", both)["result"] == "joined"
    slack.wait_for(
        lambda: "2 of 2 alerts firing" in readable(prompts(slack, broadcast)[0]["blocks"]),
        what="the prompt to count the new alert",
    )
    key = click(slack, bot, broadcast, prompt["ts"], ALICE, "alert_declare")
    answer = slack.wait_for(lambda: replies(slack, key), timeout=20, what="a reply")[0]
    assert answer.startswith("Declared INC-1: <#C")
    (incident,) = stored_incidents(database_url)
    assert incident.declared_by == ALICE and incident.severity == "sev3"
    assert incident.detected_by and incident.detected_by.startswith("Alertmanager: ")
    assert len(prompts(slack, broadcast)) == 1  # redrawn, never posted twice
    slack.wait_for(
        lambda: f"<#{incident.channel_id}>" in message_text(prompts(slack, broadcast)[0])
    )
    # Now that an incident follows the group, a further alert joins it.
    third = payloads.am_alert("PredictionRateDrop", severity="warning")
    joined = deliver(
        bot,
        "alertmanager",
        payloads.alertmanager(first, second, third, receiver=ROUTE, group_key="nulls"),
    )
    assert joined["incident"] == "INC-1"


def test_a_dismissed_group_stays_quiet_until_it_resolves_and_fires_again(
    bot: BotProcess, slack: SlackStandIn, broadcast: str, database_url: str
) -> None:
    alert = payloads.am_alert(severity="info")
    body = payloads.alertmanager(alert, receiver=ROUTE)
    post_alert(bot.url, "alertmanager", body)
    prompt = slack.wait_for(lambda: prompts(slack, broadcast), what="the prompt")[0]
    click(slack, bot, broadcast, prompt["ts"], BOB, "alert_dismiss")
    slack.wait_for(
        lambda: "Dismissed by <@U0BOB0002>" in readable(prompts(slack, broadcast)[0]["blocks"]),
        what="the dismissal",
    )
    assert deliver(bot, "alertmanager", body)["result"] == "repeat"
    ended = {**alert, "status": "resolved", "endsAt": "2026-11-23T10:00:00Z"}
    resolved = deliver(bot, "alertmanager", payloads.alertmanager(ended, receiver=ROUTE))
    assert resolved["result"] == "resolved"
    again = deliver(bot, "alertmanager", body)
    assert again["result"] == "asked"
    slack.wait_for(lambda: len(prompts(slack, broadcast)) == 2, what="a fresh prompt")
    assert counts(database_url)["incidents"] == 0


def test_a_prompt_slack_refuses_for_good_is_given_up_with_the_reason(
    bot: BotProcess, slack: SlackStandIn, broadcast: str, database_url: str
) -> None:
    from bot.store.db import Database
    from bot.store.models import AlertGroup

    slack.channels[broadcast].is_archived = True
    body = payloads.alertmanager(payloads.am_alert(severity="warning"), receiver=ROUTE)
    assert deliver(bot, "alertmanager", body)["result"] == "asked"
    db = Database(database_url)
    try:

        def given_up() -> list[AlertGroup]:
            with db.begin() as session:
                groups = list(
                    session.query(AlertGroup).filter(AlertGroup.prompt_error.is_not(None))
                )
            return groups

        (group,) = slack.wait_for(given_up, what="the refused prompt given up")
    finally:
        db.dispose()
    assert group.prompt_error == "the channel is archived (is_archived)"
    assert group.shown_revision == group.revision  # not redrawn again and again
    assert group.prompt_lease_until is None and group.prompt_ts is None
    assert prompts(slack, broadcast) == []
