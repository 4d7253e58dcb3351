"""Alerts over real HTTP: refusals change nothing, an accepted alert opens one incident per
group, repeats are absorbed, and what an alert says reaches Slack as text."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import readable, text_objects
from bot.store.db import Database
from bot.store.models import AlertDelivery, utcnow
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, applied, counts, deliver, events, post_alert
from tests.e2e.helpers import stored_incidents
from tests.support import BotProcess, migrate


@pytest.fixture
def bot_env() -> dict[str, str]:
    return dict(ALERT_ENV)


def incident_channels(slack: SlackStandIn) -> list:  # type: ignore[type-arg]
    return [c for c in slack.channels.values() if c.name.startswith("inc-")]


def test_refusals_answer_why_and_store_nothing(bot: BotProcess, database_url: str) -> None:
    good = payloads.alertmanager()
    cases = [
        (post_alert(bot.url, "alertmanager", good, token=None), 401, "Bearer"),
        (post_alert(bot.url, "alertmanager", good, token="wrong"), 401, "Bearer"),
        (post_alert(bot.url, "pagerduty", good), 404, "alertmanager, grafana, generic"),
        (
            httpx.post(
                f"{bot.url}/alerts/generic",
                content=b"{not json",
                headers={"Authorization": "Bearer " + ALERT_ENV["INCIDENTBOT_ALERT_TOKEN"]},
            ),
            400,
            "not JSON",
        ),
        (post_alert(bot.url, "alertmanager", {**good, "version": "3"}), 422, "version"),
        (post_alert(bot.url, "alertmanager", {**good, "alerts": []}), 422, "alerts"),
        (post_alert(bot.url, "generic", {"title": "no key"}), 422, "dedup_key: is required"),
        (post_alert(bot.url, "grafana", [1, 2]), 422, "JSON object"),
        (
            post_alert(bot.url, "generic", payloads.generic(labels={"blob": "x" * (1024 * 1024)})),
            413,
            "The body is over 1 MiB; send fewer alerts at once.",
        ),
    ]
    for response, status, says in cases:
        assert response.status_code == status, response.text
        assert says in json.dumps(response.json()), response.json()
    assert counts(database_url) == {"alert_deliveries": 0, "alert_groups": 0, "incidents": 0}
    assert httpx.get(f"{bot.url}/healthz").status_code == 200


def test_an_alertmanager_alert_opens_an_incident_with_what_the_alert_said(
    bot: BotProcess, slack: SlackStandIn, database_url: str, broadcast: str
) -> None:
    payload = payloads.alertmanager(
        payloads.am_alert(
            runbook_url="https://runbooks.example.com/fraud",
            description="Share of legitimate payments flagged: 40%",
        )
    )
    response = deliver(bot, "alertmanager", payload)
    assert response["result"] == "declared"
    assert response["incident"] == "INC-1"

    channel = slack.wait_for(lambda: incident_channels(slack), what="the incident channel")[0]
    assert channel.name.endswith("fraudprecisionlow-precision-of-the-fraud-model-fell-below-0-8")
    details = slack.wait_for(
        lambda: [m for m in channel.messages if "Opened from" in (m.get("text") or "")],
        what="the alert's details in the channel",
    )[0]
    shown = readable(details["blocks"])
    assert "`severity` critical" in shown and "`model` fraud-scorer" in shown
    # Said once each: the severity, then the sender (not "SEV1 · critical from critical").
    assert "*SEV1 · critical* · from Alertmanager, receiver `incidentbot` · started" in shown
    assert "Share of legitimate payments flagged: 40%" in shown
    bookmarks = slack.wait_for(lambda: len(channel.bookmarks) == 2 and channel.bookmarks)
    assert {b["title"]: b["link"] for b in bookmarks} == {
        "Source": "http://prometheus.example.com/graph?g0.expr=fraud_precision",
        "Runbook": "https://runbooks.example.com/fraud",
    }
    assert slack.wait_for(lambda: slack.channels[broadcast].messages, what="announcement")

    (incident,) = stored_incidents(database_url)
    assert incident.severity == "sev1"  # severity=critical
    assert incident.service == "fraud-scorer"
    assert incident.detected_at is not None
    assert incident.detected_at.isoformat() == "2026-11-23T09:12:00.123456+00:00"
    assert incident.detected_by == (
        "Alertmanager: FraudPrecisionLow: Precision of the fraud model fell below 0.8"
    )
    summary = channel.summary()
    assert "First signal <!date^" in summary and "Alertmanager: FraudPrecisionLow" in summary
    metrics = httpx.get(f"{bot.url}/metrics").text
    assert 'incidentbot_alerts_accepted_total{source="alertmanager"} 1.0' in metrics
    timeline = events(database_url, incident.id)
    assert [e.kind for e in timeline][:2] == ["alert_fired", "declared"]
    assert timeline[0].data["labels"]["severity"] == "critical"
    assert timeline[0].data["annotations"]["runbook_url"] == "https://runbooks.example.com/fraud"


def test_repeats_are_absorbed_new_alerts_join_and_resolution_is_offered(
    bot: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    first = payloads.am_alert("FraudPrecisionLow")
    assert post_alert(bot.url, "alertmanager", payloads.alertmanager(first)).status_code == 202
    channel = slack.wait_for(lambda: incident_channels(slack), what="the incident channel")[0]
    slack.wait_for(lambda: channel.bookmarks, what="bookmarks")

    # Alertmanager re-sends the group every repeat_interval: nothing new to say.
    for _ in range(3):
        again = deliver(bot, "alertmanager", payloads.alertmanager(first))
        assert again["result"] == "repeat"
    second = payloads.am_alert("FraudRecallLow", severity="warning")
    joined = deliver(bot, "alertmanager", payloads.alertmanager(first, second))
    assert joined["result"] == "joined"
    assert joined["incident"] == "INC-1"
    slack.wait_for(
        lambda: [m for m in channel.messages if "New in this group: FraudRecallLow" in m["text"]],
        what="the joined alert in the channel",
    )

    ended = {**first, "status": "resolved", "endsAt": "2026-11-23T10:00:00Z"}
    ended2 = {**second, "status": "resolved", "endsAt": "2026-11-23T10:01:00Z"}
    half = deliver(bot, "alertmanager", payloads.alertmanager(ended, second))
    assert half["result"] == "changed"
    done = deliver(bot, "alertmanager", payloads.alertmanager(ended, ended2))
    assert done["result"] == "resolved"
    offer = slack.wait_for(
        lambda: [m for m in channel.messages if "Resolve the incident?" in m["text"]],
        what="the offer to resolve",
    )[0]

    assert counts(database_url)["incidents"] == 1
    (incident,) = stored_incidents(database_url)
    kinds = [e.kind for e in events(database_url, incident.id)]
    assert kinds.count("alert_joined") == 1
    assert kinds.count("alert_resolved") == 2
    assert "alerts_all_resolved" in kinds

    # Nobody declared it, so nobody commands it: Alice takes the role (nobody holds it,
    # so she may), and with it the right to resolve.
    bot.command("role commander <@U0ALICE01|alice>", user="U0ALICE01", channel=channel.id)
    slack.wait_for(lambda: "Commander: <@U0ALICE01>" in channel.topic, what="a Commander")
    slack.block_action(
        bot.url,
        user="U0ALICE01",
        channel=channel.id,
        message_ts=offer["ts"],
        action={"action_id": "incident_resolve", "value": str(incident.id)},
    )
    slack.wait_for(lambda: stored_incidents(database_url)[0].status == "resolved", what="resolved")
    slack.wait_for(
        lambda: [m for m in channel.messages if "resolved INC-1" in m["text"]],
        what="the resolution in the channel",
    )

    # The group is over with its incident: the same alert firing again is a new incident.
    refire = deliver(bot, "alertmanager", payloads.alertmanager(first))
    assert refire["result"] == "declared"
    assert refire["incident"] == "INC-2"


def test_ten_concurrent_deliveries_of_one_group_make_one_incident(
    bot: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    alerts = [payloads.am_alert(f"Alert{i}", fingerprint=f"fp{i}") for i in range(10)]
    bodies = [payloads.alertmanager(*alerts[: i + 1]) for i in range(10)]
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda b: post_alert(bot.url, "alertmanager", b), bodies))
    assert [a.status_code for a in answers] == [202] * 10
    outcomes = applied(database_url, 10)
    assert {incident for _, incident in outcomes} == {1}
    assert [result for result, _ in outcomes].count("declared") == 1
    assert counts(database_url) == {"alert_deliveries": 10, "alert_groups": 1, "incidents": 1}
    slack.wait_for(lambda: incident_channels(slack), what="the incident channel")
    assert len(slack.calls_to("conversations.create")) == 1


def test_grafana_and_generic_payloads_open_their_own_incidents(
    bot: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    assert deliver(bot, "grafana", payloads.grafana())["result"] == "declared"
    assert deliver(bot, "generic", payloads.generic())["result"] == "declared"
    assert deliver(bot, "generic", payloads.generic())["result"] == "repeat"
    channels = slack.wait_for(
        lambda: len(incident_channels(slack)) == 2 and incident_channels(slack)
    )
    grafana_incident, generic_incident = stored_incidents(database_url)
    assert grafana_incident.title == "Prediction rate (recsys-ranker)"
    assert grafana_incident.severity == "sev3"  # severity=warning
    assert grafana_incident.service == "recsys-ranker"
    assert generic_incident.severity == "sev2"
    assert generic_incident.service == "credit-scorer"
    assert generic_incident.description == (
        "Approval rate for applicants over 60 fell from 41% to 22%"
    )
    titles = slack.wait_for(
        lambda: sorted(b["title"] for c in channels for b in c.bookmarks) or None,
        what="bookmarks",
    )
    slack.wait_for(lambda: len([b for c in channels for b in c.bookmarks]) == 5)
    titles = sorted(b["title"] for c in channels for b in c.bookmarks)
    assert titles == ["Dashboard", "Evidently report", "Panel", "Runbook", "Source"]
    resolved = deliver(bot, "generic", payloads.generic(status="resolved"))
    assert resolved["result"] == "resolved"


def test_what_an_alert_says_is_shown_never_obeyed(
    bot: BotProcess, slack: SlackStandIn, broadcast: str
) -> None:
    hostile = payloads.am_alert(
        "ModelDown <!channel>",
        summary="<!here> click <https://evil.example|here> now @everyone",
        description="<@U0ALICE01> <#C123> &lt;!channel&gt;",
        runbook_url="javascript:alert(1)",
    )
    hostile["labels"]["model"] = "<!subteam^S123>"
    assert deliver(bot, "alertmanager", payloads.alertmanager(hostile))["result"] == "declared"
    channel = slack.wait_for(lambda: incident_channels(slack), what="the incident channel")[0]
    slack.wait_for(
        lambda: [m for m in channel.messages if "Opened from" in (m.get("text") or "")],
        what="the details",
    )
    slack.wait_for(lambda: slack.channels[broadcast].messages, what="the announcement")
    sent = [c for c in slack.calls if c["method"] in {"chat.postMessage", "chat.update"}]
    for call in sent:
        interpreted = [call["args"].get("text") or ""]
        interpreted += [t["text"] for t in text_objects(call["args"].get("blocks"), "mrkdwn")]
        for forbidden in ("<!channel>", "<!here>", "<https://evil", "<@U0ALICE01>", "<!subteam"):
            assert all(forbidden not in t for t in interpreted), (forbidden, call)
    # The javascript: "runbook" never became a link or a bookmark.
    assert all("javascript" not in b["link"] for b in channel.bookmarks)
    assert "javascript" not in str(slack.calls_to("bookmarks.add"))


def test_an_alert_is_accepted_while_slack_is_down_and_shown_once_it_is_back(
    bot: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    slack.fail_next("conversations.create", count=1000, status=200, error="fatal_error")
    assert deliver(bot, "alertmanager", payloads.alertmanager())["incident"] == "INC-1"
    slack.wait_for(lambda: slack.calls_to("conversations.create"), what="a try at the channel")
    (incident,) = stored_incidents(database_url)
    assert incident.channel_id is None and incident.detected_at is not None

    bot.stop()
    slack.clear_failures()
    bot.start()  # the sweep at start-up finishes the set-up, then shows the alert
    channel = slack.wait_for(lambda: incident_channels(slack), timeout=20, what="the channel")[0]
    slack.wait_for(
        lambda: [m for m in channel.messages if "Opened from" in (m.get("text") or "")],
        timeout=20,
        what="the alert's details",
    )
    slack.wait_for(lambda: len(channel.bookmarks) == 1, what="the bookmark")


def test_a_delivery_stored_but_never_processed_is_processed_by_the_sweep(
    slack: SlackStandIn, database_url: str, broadcast: str
) -> None:
    # As if the bot died between committing a delivery and applying it.
    migrate(database_url)
    db = Database(database_url)
    with db.begin() as session:
        session.add(
            AlertDelivery(
                source="generic",
                body=json.dumps(payloads.generic()),
                received_at=utcnow() - timedelta(minutes=5),
            )
        )
    db.dispose()
    process = BotProcess(
        slack, database_url, INCIDENTBOT_BROADCAST_CHANNEL=broadcast, **ALERT_ENV
    ).start()
    try:
        channel = slack.wait_for(lambda: incident_channels(slack), timeout=20, what="a channel")
        assert channel[0].name.endswith("credit-model-approval-rate-shifted-for-one-group")
        assert counts(database_url) == {"alert_deliveries": 1, "alert_groups": 1, "incidents": 1}
    finally:
        process.stop()
