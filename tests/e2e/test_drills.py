"""A tabletop drill end to end, its clock compressed (INCIDENTBOT_DRILL_SPEED, no sleeping
through real minutes): injects in order, planted drift found by /incident drift, the
facilitator's controls, a report that scores what was done, and nothing on the broadcast
channel."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.drills import scenarios
from bot.sandbox import SlackStandIn
from bot.sandbox.reading import readable
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import events_of, said_to, stored_incidents, timeline_kinds
from tests.support import BotProcess, run_cli

SPEED = "240"  # four drill minutes a wall second: the 15-minute inject comes after ~4 s


@pytest.fixture
def drill_channel(slack: SlackStandIn) -> str:
    return slack.add_channel("incident-drills", members={ALICE})


@pytest.fixture
def bot_env(tmp_path: Path, drill_channel: str) -> dict[str, str]:
    return {
        "INCIDENTBOT_DRILL_SPEED": SPEED,
        "INCIDENTBOT_DATA_DIR": str(tmp_path),
        "INCIDENTBOT_DRILL_CHANNEL": drill_channel,
    }


def said(channel: Any) -> list[str]:
    return [m["text"] for m in channel.messages if "ephemeral_to" not in m]


def test_a_drill_runs_on_its_clock_and_ends_in_a_report(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str, drill_channel: str
) -> None:
    listed = bot.command("drill", user=ALICE, channel=general).wait_reply()["text"]
    for name in scenarios.library():
        assert f"`{name}`" in listed

    started = bot.command("drill fraud-false-positives", user=ALICE, channel=general)
    reply = started.wait_reply()["text"]
    incident = stored_incidents(bot.database_url)[0]
    channel = slack.channels[incident.channel_id]
    assert reply == f"Drill INC-1 started: <#{channel.id}>"
    assert channel.name.startswith("drill-") and channel.topic.startswith("DRILL | SEV3")
    summary = readable(channel.messages[0]["blocks"])
    assert "[DRILL] INC-1: Fraud model flags 40% of legitimate transactions" in summary
    assert ":performing_arts: *DRILL* (fraud-false-positives): practice only" in summary

    # The injects arrive in the scenario's order, on the compressed clock.
    slack.wait_for(lambda: len([t for t in said(channel) if "[DRILL] From" in t]) == 2, 20)
    injects = [t for t in said(channel) if t.startswith((":rotating_light:", ":speech", ":floppy"))]
    assert [t.split(" ")[0] for t in injects] == [
        ":rotating_light:",
        ":speech_balloon:",
        ":floppy_disk:",
        ":speech_balloon:",
    ]
    assert "FraudPrecisionLow" in injects[0] and "Head of Payments" in injects[1]

    # The data inject's sets show their planted drift through /incident drift.
    command = re.search(r"`/incident (drift [^`]+)`", injects[2])
    assert command is not None
    bot.command(command.group(1), user=ALICE, channel=channel.id)
    found = slack.wait_for(
        lambda: events_of(bot.database_url, incident.id, "drift_found"), 60, "the drift verdict"
    )[0]
    drifted = set(found.data.get("drifted") or [])
    assert {"amount", "merchant_risk"} <= drifted, found.data
    assert not drifted & {"account_age_days", "country"}

    # Some moves: the severity, a first notice (marked, and only to the drill channel).
    bot.command("severity sev1", user=ALICE, channel=channel.id)
    bot.command("update We are on it", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: any("[DRILL] *First notice*" in t for t in said(channel)))
    slack.wait_for(lambda: any("We are on it" in t for t in said(slack.channels[drill_channel])))

    # Only the facilitator ends it.
    controls = next(m for m in channel.messages if "facilitator's controls" in m["text"])
    _, key = slack.block_action(
        bot.url,
        user=BOB,
        channel=channel.id,
        message_ts=controls["ts"],
        action={"action_id": "drill_end"},
    )
    assert said_to(slack, key).startswith("Only the facilitator, <@U0ALICE01>, or a responder")
    slack.block_action(
        bot.url,
        user=ALICE,
        channel=channel.id,
        message_ts=controls["ts"],
        action={"action_id": "drill_end"},
    )
    reports = slack.wait_for(
        lambda: [f for f in channel.files if f["name"].startswith("drill-report")],
        what="the drill report",
    )
    report = reports[0]["content"].decode()
    assert "# Drill report: Fraud model flags 40% of legitimate transactions (INC-1)" in report
    assert re.search(
        r"\| Severity set to the scenario's \| \+10:00 \| \+\d+:\d\d \| (met|late) \|", report
    )
    assert re.search(r"\| Drift analysis run \| \+20:00 \| \+\d+:\d\d \| (met|late) \|", report)
    assert "| All four roles taken | +5:00 | not made | **missed** |" in report
    assert "- A containment move made (rollback or lever) (target +25:00)" in report
    assert stored_incidents(bot.database_url)[0].status == "resolved"
    # The event is written once Slack has taken the upload: a moment after the file shows.
    slack.wait_for(
        lambda: "drill_report" in timeline_kinds(bot.database_url, incident.id),
        what="the drill report on the timeline",
    )

    # Not a word of it on the incidents channel.
    assert slack.channels[broadcast].messages == []
    assert any(
        "DRILL INC-1" in t or "DRILL* INC-1" in t for t in said(slack.channels[drill_channel])
    )


def test_pause_holds_the_clock_and_next_sends_the_next_inject_at_once(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    bot.command("drill chatbot-stale-index", user=ALICE, channel=general).wait_reply()
    incident = stored_incidents(bot.database_url)[0]
    channel = slack.channels[incident.channel_id]
    slack.wait_for(lambda: any("Support lead" in t for t in said(channel)), 20, "inject 1")
    controls = next(m for m in channel.messages if "facilitator's controls" in m["text"])

    def press(action: str) -> None:
        slack.block_action(
            bot.url,
            user=ALICE,
            channel=channel.id,
            message_ts=controls["ts"],
            action={"action_id": action},
        )

    press("drill_pause")
    slack.wait_for(lambda: "drill_paused" in timeline_kinds(bot.database_url, incident.id))
    sent = len(events_of(bot.database_url, incident.id, "drill_inject"))
    press("drill_pause")  # resume
    slack.wait_for(lambda: "drill_resumed" in timeline_kinds(bot.database_url, incident.id))
    press("drill_next")
    slack.wait_for(
        lambda: len(events_of(bot.database_url, incident.id, "drill_inject")) > sent,
        what="the next inject, at once",
    )


def test_the_dry_run_prints_the_script_offline(tmp_path: Path) -> None:
    run = run_cli(
        "drill", "credit-poisoning", "--dry-run", DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(
        "DRILL credit-poisoning: Credit risk model rejects 40% more applicants"
    )
    assert (
        "+7:00  data sets." in run.stdout
        and "drift planted in: account_age_days, country" in run.stdout
    )
    assert "within +15:00  A containment move made (rollback or lever)" in run.stdout
    unknown = run_cli("drill", "nope", "--dry-run")
    assert (
        unknown.returncode == 1
        and "There is no drill `nope`; the scenarios are: " in unknown.stderr
    )
    assert not (tmp_path / "none.db").exists()  # offline: no database touched
