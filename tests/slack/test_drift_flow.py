"""The drift flow when Slack misbehaves: the findings still arrive."""

from __future__ import annotations

from pathlib import Path

from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.slack.command_parser import DriftArgs
from bot.slack.flows import drift
from bot.slack.services import Services
from tests.diagnosis.data import served, table
from tests.slack_standin import SlackStandIn


def test_findings_arrive_even_when_the_working_message_could_not_be_posted(
    services: Services, slack: SlackStandIn, tmp_path: Path
) -> None:
    channel = slack.add_channel("inc-drift", members={"UBOTINCIDENT"})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer drift", Severity.SEV3, "U1"))
        incident.channel_id = channel
    table(2000, shifted=False, seed=1).to_csv(tmp_path / "ref.csv", index=False)
    table(2000, shifted=True, seed=2).to_csv(tmp_path / "cur.csv", index=False)
    said: list[str] = []
    slack.fail_next("chat.postMessage", status=200, error="fatal_error")
    with served(tmp_path) as url:
        args = DriftArgs(f"{url}/ref.csv", f"{url}/cur.csv", prediction="score")
        drift.start(services, channel, args, "U1", lambda **m: said.append(m["text"]))
        findings = slack.wait_for(
            lambda: [m for m in slack.channels[channel].messages if m["text"].startswith("Drift:")],
            timeout=30,
            what="the findings",
        )
    assert findings[0]["text"] == "Drift: 4 of 10 features drifted — data set drift: no"
    assert said == []  # nothing went wrong that the person must hear about
