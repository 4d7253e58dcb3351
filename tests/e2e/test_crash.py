"""``kill -9`` the bot mid-work, start it again: nothing acknowledged is lost, nothing is
done twice, and the work the dead process held is taken up soon after the restart."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.sandbox import SlackStandIn
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, applied, counts, post_alert
from tests.conftest import ALICE
from tests.e2e.helpers import stored_incidents
from tests.support import BotProcess

# The database changes how this fails and recovers: it runs on both.
pytestmark = pytest.mark.both_databases

DECLARATIONS = 12
GROUPS = 6
RESTARTED_WITHIN = 30.0  # seconds: what the dead process held is taken up by then
# A short lease (the default is 20 s): what a killed process held is free sooner, and the
# test waits less for the same behaviour.
LEASE = {"INCIDENTBOT_LEASE_SECONDS": "5"}


def _incident_channels(slack: SlackStandIn) -> list[Any]:
    return [c for c in slack.channels.values() if c.name.startswith("inc-")]


def _killed_and_restarted(bot: BotProcess) -> float:
    assert bot.proc is not None
    bot.proc.kill()  # SIGKILL: no shutdown, nothing finished, leases left behind
    bot.proc.wait(10)
    bot.start()
    return time.monotonic()


def test_a_declare_burst_survives_kill_9(
    slack: SlackStandIn, database_url: str, broadcast: str, general: str
) -> None:
    bot = BotProcess(slack, database_url, INCIDENTBOT_BROADCAST_CHANNEL=broadcast, **LEASE)
    bot.migrate()
    bot.start()
    try:
        prepared = [
            slack.prepare_command(
                f"declare sev2 Scorer outage number {n}", user=ALICE, channel=general
            )
            for n in range(DECLARATIONS)
        ]
        with ThreadPoolExecutor(DECLARATIONS) as pool:
            acks = list(pool.map(lambda p: p.send(bot.url), prepared))
        assert all(a.ack_text.startswith("Declaring a SEV2 incident") for a in acks)
        restarted = _killed_and_restarted(bot)

        def set_up() -> list[Any]:
            ready = [i for i in stored_incidents(database_url) if i.announced_ts]
            return ready if len(ready) == DECLARATIONS else []

        incidents = slack.wait_for(set_up, timeout=60, what="every declaration set up")
        took = time.monotonic() - restarted
        print(f"all {DECLARATIONS} set up {took:.1f} s after the restart")
        assert took < RESTARTED_WITHIN + 10  # the sweep after leases, plus the set-up
        assert sorted(i.title for i in incidents) == sorted(
            f"Scorer outage number {n}" for n in range(DECLARATIONS)
        )
        channels = _incident_channels(slack)
        assert len(channels) == DECLARATIONS  # no incident got two channels
        assert sorted(c.id for c in channels) == sorted(i.channel_id for i in incidents)
        announced = [m for m in slack.channels[broadcast].messages if m.get("blocks")]
        assert len(announced) == DECLARATIONS  # each announced once
        for channel in channels:
            assert len(channel.pins) == 1  # one summary, pinned once
            summaries = [m for m in channel.messages if m["ts"] == channel.pins[0]]
            assert len(summaries) == 1
    except AssertionError:
        print(f"--- incidentbot log ---\n{bot.logs()[-8000:]}")
        for i in stored_incidents(database_url):
            print("INCIDENT", i.id, i.title, i.channel_id, i.summary_ts, i.announced_ts)
        raise
    finally:
        bot.stop()


def test_an_alert_storm_survives_kill_9(slack: SlackStandIn, database_url: str) -> None:
    bot = BotProcess(slack, database_url, **ALERT_ENV, **LEASE)
    bot.migrate()
    bot.start()
    try:
        bodies = [
            payloads.generic(dedup_key=f"storm-{n % GROUPS}", title=f"Storm group {n % GROUPS}")
            for n in range(GROUPS * 5)
        ]
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(lambda b: post_alert(bot.url, "generic", b), bodies))
        assert all(a.status_code == 202 for a in answers)
        _killed_and_restarted(bot)
        outcomes = applied(database_url, len(bodies), timeout=60)
        assert len(outcomes) == len(bodies)  # every accepted delivery applied
        assert sorted(o for o, _ in outcomes).count("declared") == GROUPS  # each group once
        incidents = slack.wait_for(
            lambda: (
                (ready := [i for i in stored_incidents(database_url) if i.summary_ts])
                and len(ready) == GROUPS
                and ready
            ),
            timeout=60,
            what="every group's incident set up",
        )
        assert len(incidents) == GROUPS and len(_incident_channels(slack)) == GROUPS
        assert counts(database_url)["incidents"] == GROUPS
    except AssertionError:
        print(f"--- incidentbot log ---\n{bot.logs()[-8000:]}")
        raise
    finally:
        bot.stop()
