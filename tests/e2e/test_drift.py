"""/incident drift end to end: data served over HTTP on 127.0.0.1 (or read from the data
folder), the verdict, the table and the chart in the channel, the finding on the timeline;
and every kind of source that must be refused."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import readable
from tests.alerts.helpers import ALERT_ENV, events, post_alert
from tests.conftest import ALICE
from tests.diagnosis.data import DATA_HOST, DRIFTED, table
from tests.diagnosis.data import served as serving
from tests.e2e.helpers import declare, stored_incidents
from tests.support import BotProcess


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    reference, current = table(5000, shifted=False, seed=1), table(5000, shifted=True, seed=2)
    reference.to_csv(folder / "reference.csv", index=False)
    current.to_csv(folder / "current.csv", index=False)
    (folder / "reference.csv.gz").write_bytes(
        gzip.compress((folder / "reference.csv").read_bytes())
    )
    current.to_parquet(folder / "current.parquet")
    (folder / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    (folder / "other.csv").write_text("x,y\n1,2\n3,4\n")
    outside = tmp_path / "secret.csv"
    outside.write_text("password\nhunter2\n")
    (folder / "link.csv").symlink_to(outside)
    return folder


@pytest.fixture
def bot_env(data_dir: Path) -> dict[str, str]:
    return {
        **ALERT_ENV,
        "INCIDENTBOT_DATA_DIR": str(data_dir),
        "INCIDENTBOT_FETCH_ALLOW": DATA_HOST,
    }


@pytest.fixture
def served(data_dir: Path) -> Any:
    with serving(data_dir) as url:
        yield url


def findings(database_url: str) -> list[Any]:
    return events(database_url, kind="drift_found")


def result_of(slack: SlackStandIn, channel: Any) -> dict[str, Any]:
    return slack.wait_for(
        lambda: [m for m in channel.public() if m["text"].startswith("Drift: ")],
        timeout=60,
        what="the drift findings",
    )[0]


def test_drift_over_http_posts_the_verdict_the_table_and_a_chart(
    bot: BotProcess, slack: SlackStandIn, general: str, served: str
) -> None:
    channel, _ = declare(bot, slack, general)
    answer = bot.command(
        f"drift <{served}/reference.csv> <{served}/current.csv> prediction=score",
        user=ALICE,
        channel=channel.id,
    )
    assert answer.http.status_code == 200
    result = result_of(slack, channel)
    shown = readable(result["blocks"])
    assert result["text"] == "Drift: 4 of 10 columns drifted — data set drift: no"
    for column in DRIFTED:
        assert f":red_circle: *drifted* `{column}`" in shown
    assert ":white_circle: stable `age`" in shown and ":white_circle: stable `balance`" in shown
    assert "Missing values jumped: a likely pipeline failure" in shown
    assert "`balance`: missing values 0.0% → 19." in shown or "0.0% → 20." in shown
    assert "*Prediction shift* (reported apart)" in shown
    assert "Wasserstein distance (normed)" in shown and "Jensen-Shannon distance" in shown
    assert "PSI " in shown
    working = next(m for m in channel.public() if m["text"].startswith(":mag: <@U0ALICE01>"))
    assert working["text"].endswith(":white_check_mark: Done: the findings follow.")
    chart = slack.wait_for(lambda: list(channel.files), what="the chart")[0]
    assert chart["name"] == "drift-INC-1.png" and chart["content"].startswith(b"\x89PNG")
    (finding,) = findings(bot.database_url)
    assert finding.actor == ALICE and set(finding.data["drifted"]) == set(DRIFTED)
    assert finding.data["missing_jumped"] == ["balance"] and finding.data["prediction_drifted"]


def test_files_in_the_data_folder_gzip_and_parquet(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _ = declare(bot, slack, general)
    bot.command("drift reference.csv.gz current.parquet skip=score", user=ALICE, channel=channel.id)
    result = result_of(slack, channel)
    assert result["text"] == "Drift: 4 of 10 columns drifted — data set drift: no"


REFUSED_SOURCES = [
    ("file:///etc/passwd current.csv", "only http(s) URLs and files in the data folder"),
    ("../secret.csv current.csv", "leads outside the data folder"),
    ("link.csv current.csv", "leads outside the data folder"),
    ("/etc/passwd current.csv", "is outside the data folder"),
    ("missing.csv current.csv", "there is no such file in the data folder"),
    ("http://127.0.0.2:9/x.csv current.csv", "could not be reached"),  # allowed, closed
    # httpx cannot read these addresses (an IPv4 in octal, zero-padded): refused with the
    # reason, not "the analysis failed".
    ("http://0177.0.0.1:9/x.csv current.csv", "its address cannot be read"),
    ("http://127.000.000.001:9/x.csv current.csv", "its address cannot be read"),
    ("picture.csv current.csv", "is not a CSV or Parquet table"),
    ("other.csv current.csv", "no column in common"),
    ("reference.csv current.csv prediction=nope", "The prediction column 'nope' is not"),
]


def test_sources_that_cannot_be_used_are_refused_with_the_reason(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _ = declare(bot, slack, general)
    for args, said in REFUSED_SOURCES:
        reply = bot.command(f"drift {args}", user=ALICE, channel=channel.id).wait_reply(timeout=30)
        assert reply["text"].startswith("No drift analysis: ") and said in reply["text"], args
    assert findings(bot.database_url) == []
    # Refused, so nothing in the channel: the working message of one found bad on reading
    # (unreachable, not a table, no common column) is taken away again.
    slack.wait_for(
        lambda: not [m for m in channel.public() if m["text"].startswith((":mag:", "Drift: "))],
        what="the channel without the refused analyses",
    )


def test_wrong_arguments_are_answered_before_any_work(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _ = declare(bot, slack, general)
    answer = bot.command("drift only-one.csv", user=ALICE, channel=channel.id)
    assert answer.ack_text.startswith("Give two data sets, the reference and the current one")
    outside = bot.command("drift a.csv b.csv", user=ALICE, channel=general).wait_reply()
    assert "works inside an incident channel" in outside["text"]


def test_an_alert_naming_its_data_gets_the_analysis_when_its_incident_opens(
    bot: BotProcess, slack: SlackStandIn, served: str
) -> None:
    answer = post_alert(
        bot.url,
        "generic",
        {
            "title": "Fraud model input drift",
            "dedup_key": "fraud-drift",
            "severity": "critical",
            "reference_data": f"{served}/reference.csv",
            "current_data": f"{served}/current.csv",
        },
    )
    assert answer.status_code == 202
    incident = slack.wait_for(
        lambda: [i for i in stored_incidents(bot.database_url) if i.channel_id], what="incident"
    )[0]
    channel = slack.channels[incident.channel_id]
    result = result_of(slack, channel)
    assert result["text"] == "Drift: 5 of 11 columns drifted — data set drift: no"  # with score
    assert "Started by the alert." in readable(result["blocks"])
    (finding,) = findings(bot.database_url)
    assert finding.actor is None and finding.incident_id == incident.id
