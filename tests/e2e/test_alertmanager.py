"""The real thing: Prometheus Alertmanager delivers to the running bot over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox import SlackStandIn
from tests.alerts.alertmanager_server import Alertmanager, alert, ended
from tests.alerts.helpers import ALERT_ENV, ALERT_TOKEN, counts, events
from tests.e2e.helpers import stored_incidents
from tests.support import BotProcess


@pytest.fixture
def bot_env() -> dict[str, str]:
    return dict(ALERT_ENV)


@pytest.fixture
def alertmanager(bot: BotProcess) -> Iterator[Alertmanager]:
    server = Alertmanager(bot.url, ALERT_TOKEN)
    yield server
    server.stop()


def test_alertmanager_groups_become_incidents_repeats_are_absorbed_and_resolution_noted(
    bot: BotProcess, slack: SlackStandIn, database_url: str, alertmanager: Alertmanager
) -> None:
    drift = [
        alert("FeatureDrift", model="fraud-scorer", feature="amount", severity="warning"),
        alert("FeatureDrift", model="fraud-scorer", feature="merchant", severity="warning"),
    ]
    down = alert("ModelNotServing", model="recsys-ranker", severity="critical")
    alertmanager.fire(*drift, down)

    def channels() -> list:  # type: ignore[type-arg]
        return [c for c in slack.channels.values() if c.name.startswith("inc-")]

    slack.wait_for(lambda: len(channels()) == 2, timeout=30, what="one channel per group")
    # Slack has made the channels; wait until the bot has recorded them too.
    slack.wait_for(
        lambda: all(i.channel_id for i in stored_incidents(database_url)),
        what="the channels recorded",
    )
    by_title = {i.title: i for i in stored_incidents(database_url)}
    assert set(by_title) == {
        "FeatureDrift: FeatureDrift on fraud-scorer",
        "ModelNotServing: ModelNotServing on recsys-ranker",
    }
    assert by_title["ModelNotServing: ModelNotServing on recsys-ranker"].severity == "sev1"
    assert by_title["FeatureDrift: FeatureDrift on fraud-scorer"].severity == "sev3"

    # Alertmanager re-sends each group every repeat_interval (3 s here) while it fires.
    deliveries = counts(database_url)["alert_deliveries"]
    slack.wait_for(
        lambda: counts(database_url)["alert_deliveries"] >= deliveries + 2,
        timeout=30,
        what="repeat notifications",
    )
    assert counts(database_url)["incidents"] == 2
    drift_incident = by_title["FeatureDrift: FeatureDrift on fraud-scorer"]
    kinds = [e.kind for e in events(database_url, drift_incident.id)]
    assert not any(k.startswith("alert_") and k != "alert_fired" for k in kinds), kinds

    # Prometheus stops firing the drift alerts: Alertmanager sends the resolution.
    alertmanager.fire(*[ended(a) for a in drift])
    channel = slack.channels[drift_incident.channel_id]
    slack.wait_for(
        lambda: [m for m in channel.messages if "Resolve the incident?" in m["text"]],
        timeout=30,
        what="the resolution in the incident channel",
    )
    timeline = events(database_url, drift_incident.id)
    # Alertmanager may flush the two resolutions in one notification or in two.
    resolved = sum(e.data["count"] for e in timeline if e.kind == "alert_resolved")
    assert resolved == 2
    assert [e.kind for e in timeline].count("alerts_all_resolved") == 1
    assert counts(database_url)["incidents"] == 2
