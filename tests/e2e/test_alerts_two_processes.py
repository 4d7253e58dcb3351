"""Two bot processes on one PostgreSQL database: the database, not memory, keeps one
incident per alert group."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.sandbox import SlackStandIn
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, applied, counts, post_alert
from tests.support import BotProcess, fresh_database, migrate


@pytest.fixture
def shared_database() -> Iterator[str]:
    with fresh_database("postgresql") as url:
        migrate(url)
        yield url


def test_ten_deliveries_split_across_two_processes_open_one_incident(
    slack: SlackStandIn, broadcast: str, shared_database: str
) -> None:
    bots = [
        BotProcess(
            slack, shared_database, INCIDENTBOT_BROADCAST_CHANNEL=broadcast, **ALERT_ENV
        ).start()
        for _ in range(2)
    ]
    try:
        alerts = [payloads.am_alert(f"Alert{i}", fingerprint=f"fp{i}") for i in range(10)]
        bodies = [payloads.alertmanager(*alerts[: i + 1]) for i in range(10)]
        with ThreadPoolExecutor(10) as pool:
            answers = list(
                pool.map(
                    lambda pair: post_alert(bots[pair[0] % 2].url, "alertmanager", pair[1]),
                    enumerate(bodies),
                )
            )
        assert [a.status_code for a in answers] == [202] * 10
        outcomes = applied(shared_database, 10)
        assert len(outcomes) == 10
        assert [result for result, _ in outcomes].count("declared") == 1
        assert {incident for _, incident in outcomes} == {1}
        assert counts(shared_database) == {
            "alert_deliveries": 10,
            "alert_groups": 1,
            "incidents": 1,
        }
        slack.wait_for(
            lambda: [c for c in slack.channels.values() if c.name.startswith("inc-")],
            what="the incident channel",
        )
        assert len(slack.calls_to("conversations.create")) == 1
    finally:
        for bot in bots:
            bot.stop()
