"""/incident fairness end to end through the running bot: the verdict in words, the groups,
the disparity and the quality in the channel, the chart, the finding on the timeline;
sensitive group names withheld in a public channel and shown in a private one; bad input
answered to the one who typed it, with nothing posted or recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import SlackStandIn, reading
from bot.sandbox.reading import readable
from tests.alerts.helpers import ALERT_ENV, events
from tests.conftest import ALICE
from tests.diagnosis.data import DATA_HOST
from tests.diagnosis.data import served as serving
from tests.diagnosis.fairness_data import windows
from tests.e2e.helpers import declare
from tests.support import BotProcess

ASK = "fairness reference.csv current.parquet --group group --prediction predicted --label label"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    reference, current = windows(6000, 4, seed=31, shifted=2)
    for frame in (reference, current):
        frame["group"] = frame["group"].map(
            {"g00": "north-side", "g01": "south-side", "g02": "<!channel> east-side", "g03": "west"}
        )
    reference.to_csv(folder / "reference.csv", index=False)
    current.to_parquet(folder / "current.parquet")
    return folder


@pytest.fixture
def bot_env(data_dir: Path) -> dict[str, str]:
    return {
        **ALERT_ENV,
        "INCIDENTBOT_DATA_DIR": str(data_dir),
        "INCIDENTBOT_FETCH_ALLOW": DATA_HOST,
        "INCIDENTBOT_SENSITIVE_COLUMNS": "Group, ethnicity",
    }


def findings(database_url: str) -> list[Any]:
    return events(database_url, kind="fairness_found")


def result_of(slack: SlackStandIn, channel: Any) -> dict[str, Any]:
    return slack.wait_for(
        lambda: [m for m in channel.public() if m["text"].startswith("Fairness: ")],
        timeout=60,
        what="the fairness findings",
    )[0]


def test_a_private_incident_sees_the_groups_by_name(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _ = declare(
        bot, slack, general, "declare sev2 --private Credit model denies one region"
    )
    answer = bot.command(ASK, user=ALICE, channel=channel.id)
    assert answer.http.status_code == 200
    result = result_of(slack, channel)
    shown = readable(result["blocks"])
    # The group's name arrives as text: escaped, so no one is pinged.
    assert "Selection rate for group &lt;!channel&gt; east-side fell from" in shown
    assert "<!channel>" not in shown and "<!channel>" not in result["text"]
    assert "Selection rate for group <!channel> east-side fell" in reading.shown(shown)
    assert "parity ratio" in shown and "below 0.8" in shown
    assert "(four-fifths rule breached)" in shown
    assert "`north-side`: selection" in shown and "TPR" in shown and "FPR" in shown
    assert "*Model quality*" in shown and "accuracy" in shown
    chart = slack.wait_for(lambda: list(channel.files), what="the chart")[0]
    assert chart["name"] == "fairness-INC-1.png" and chart["content"].startswith(b"\x89PNG")
    (finding,) = findings(bot.database_url)
    assert finding.actor == ALICE and finding.data["breached"] is True
    assert "<!channel> east-side" in finding.data["breakdowns"][0]["groups"]
    assert finding.data["reference_data"] == "reference.csv"


def test_a_public_channel_gets_the_verdict_without_sensitive_names(
    bot: BotProcess, slack: SlackStandIn, general: str, served: str
) -> None:
    channel, _ = declare(bot, slack, general)
    bot.command(
        f"fairness <{served}/reference.csv> <{served}/current.parquet> —group group "
        "—group band —prediction predicted",
        user=ALICE,
        channel=channel.id,
    )
    result = result_of(slack, channel)
    shown = readable(result["blocks"])
    assert "Selection rate for group #" in shown and "below 0.8" in shown
    assert "-side" not in shown and "`west`" not in shown
    assert "`18-30`" in shown  # a column not listed keeps its names
    assert "Group names of group are withheld in this channel" in shown
    assert "TPR" not in shown  # no labels: no error rates
    (finding,) = findings(bot.database_url)
    kept = str(finding.data) + finding.text
    assert "-side" not in kept and "'west'" not in kept


@pytest.fixture
def served(data_dir: Path) -> Any:
    with serving(data_dir) as url:
        yield url


BAD_INPUT = [
    (
        "reference.csv current.parquet --group region --prediction predicted",
        "The group column 'region' is not in the reference data",
    ),
    (
        "reference.csv current.parquet --group group --prediction band",
        "The prediction column 'band' is not binary: it has 3 values",
    ),
    (
        "reference.csv current.parquet --group score --prediction predicted",
        "The group column 'score' has",
    ),
    ("../x.csv current.parquet --group g --prediction p", "leads outside the data folder"),
]
WRONG_ARGUMENTS = [
    ("reference.csv --group g --prediction p", "Give two data sets"),
    ("a.csv b.csv --prediction p", "Name the group column with `--group`"),
    ("a.csv b.csv --group g --prediction p --colour red", "`--colour` is not an option"),
    ("a.csv b.csv --group g --prediction p --threshold 2", "`--threshold 2`: give a number"),
    ("a.csv b.csv --group g, --prediction p", "has an empty column name"),
]


def test_bad_input_is_answered_to_the_asker_and_changes_nothing(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _ = declare(bot, slack, general)
    for args, said in BAD_INPUT:  # found once the data is read: after the acknowledgement
        reply = bot.command(f"fairness {args}", user=ALICE, channel=channel.id).wait_reply(
            timeout=30
        )
        assert reply["text"].startswith("No fairness analysis: ") and said in reply["text"]
    for args, said in WRONG_ARGUMENTS:  # found in the words: in the acknowledgement itself
        answer = bot.command(f"fairness {args}", user=ALICE, channel=channel.id)
        assert said in answer.ack_text, answer.ack_text
    assert findings(bot.database_url) == []
    slack.wait_for(
        lambda: not [m for m in channel.public() if m["text"].startswith((":scales:", "Fairness"))],
        what="the channel without the refused analyses",
    )
