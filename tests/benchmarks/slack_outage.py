"""Slack goes down while incidents are open and an alert storm arrives, then comes back.

Twenty incidents are open; Slack (the stand-in) answers 503 to every call for
``--down`` seconds, during which every incident gets notes and status updates and
an alert storm opens and feeds new incidents; then Slack returns. Prints how long
after Slack's return nothing was owed any more, the Slack calls spent, how many of
them were refused during the outage, and the duplicates found (posts of one outbox
item seen twice, and incidents with two channels). Goal: nothing owed 30 s after
Slack's return, zero duplicates. The baseline, in the same run, is the time the same
work takes to arrive with Slack up all along.

    python -m tests.benchmarks.slack_outage [--incidents 20] [--down 60] [--database sqlite]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from bot.sandbox import SlackStandIn
from bot.store.db import Database
from bot.store.models import SlackEffect
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, applied, post_alert
from tests.e2e.helpers import stored_incidents
from tests.support import BotProcess, fresh_database

USER = "U0ALICE01"


def owed(url: str) -> int:
    db = Database(url)
    try:
        with db.begin() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(SlackEffect)
                    .where(SlackEffect.done_at.is_(None), SlackEffect.dead_at.is_(None))
                )
                or 0
            )
    finally:
        db.dispose()


def work(bot: BotProcess, channels: list[str], storm: int, round_: str) -> int:
    """Notes and updates in every incident, and a storm of alerts; returns deliveries sent."""
    for channel in channels:
        bot.command(f"note {round_} note", user=USER, channel=channel)
        bot.command(f"update {round_}: still investigating", user=USER, channel=channel)
    for n in range(storm):
        body = payloads.generic(dedup_key=f"{round_}-{n % 4}", title=f"{round_} storm {n % 4}")
        assert post_alert(bot.url, "generic", body).status_code == 202
    return storm


def settled(bot: BotProcess, slack: SlackStandIn, url: str, deliveries: int, groups: int) -> None:
    applied(url, deliveries, timeout=300)
    slack.wait_for(
        lambda: (
            owed(url) == 0 and len([i for i in stored_incidents(url) if i.announced_ts]) >= groups
        ),
        timeout=600,
        what="nothing owed",
    )


def duplicates(slack: SlackStandIn) -> int:
    """Posts that name the same outbox work twice, in any channel."""
    seen: Counter[int] = Counter()
    for channel in slack.channels.values():
        for message in channel.messages:
            metadata: dict[str, Any] = message.get("metadata") or {}
            work_id = (metadata.get("event_payload") or {}).get("work")
            if work_id is not None:
                seen[int(work_id)] += 1
    return sum(n - 1 for n in seen.values() if n > 1)


def run(incidents: int, down: float, storm: int, database: str) -> None:
    with fresh_database(database) as url, SlackStandIn(rate_limits={}) as slack:
        slack.add_user(USER, "alice")
        general = slack.add_channel("general", members={USER})
        broadcast = slack.add_channel("incidents", members={USER})
        bot = BotProcess(slack, url, INCIDENTBOT_BROADCAST_CHANNEL=broadcast, **ALERT_ENV)
        bot.migrate()
        bot.start()
        try:
            for n in range(incidents):
                bot.command(f"declare sev2 Outage benchmark {n}", user=USER, channel=general)
            settled(bot, slack, url, 0, incidents)
            channels = [i.channel_id for i in stored_incidents(url) if i.channel_id]

            began = time.perf_counter()  # the baseline: Slack up all along
            sent = work(bot, channels, storm, "calm")
            settled(bot, slack, url, sent, incidents + 4)
            baseline = time.perf_counter() - began

            calls_before = len(slack.calls)
            slack.go_down(503)
            went_down = time.perf_counter()
            sent += work(bot, channels, storm, "outage")
            time.sleep(max(0.0, down - (time.perf_counter() - went_down)))
            refused = len([c for c in slack.calls[calls_before:] if c.get("status") == 503])
            slack.come_back()
            back = time.perf_counter()
            settled(bot, slack, url, sent, incidents + 8)
            recovered = time.perf_counter() - back
            calls = len(slack.calls) - calls_before
            doubled = duplicates(slack)
            channel_count = len([c for c in slack.channels.values() if c.name.startswith("inc-")])
        finally:
            bot.stop()
    print(
        f"Slack outage benchmark: {incidents} open incidents, Slack down {down:.0f} s, "
        f"{storm} alerts and {2 * incidents} commands during it, database={database}"
    )
    print(f"  baseline (Slack up): the same work arrived in {baseline:5.1f} s")
    print(f"  after Slack's return: nothing owed after {recovered:5.1f} s (goal: 30 s)")
    print(f"  Slack calls spent: {calls} ({refused} refused during the outage)")
    print(f"  duplicates: {doubled} posts, channels {channel_count} for {incidents + 8} incidents")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--down", type=float, default=60.0)
    parser.add_argument("--storm", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    run(args.incidents, args.down, args.storm, args.database)


if __name__ == "__main__":
    main()
