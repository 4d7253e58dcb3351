"""One, two and three replicas on one PostgreSQL: what scaling out costs, and what a
replica's death leaves to the others.

For each replica count, on a fresh database: an alert storm sent round-robin to the
replicas (accepted alerts/s as the monitors see it, and applied alerts/s until every
delivery is applied), a burst of declarations sent the same way (the acknowledgement's
p95), and, with two or more replicas, one replica killed (SIGKILL) right after a burst
of declarations it acknowledged: the work it left (requests not done, set-ups not
finished) and how long the others took to finish it.

    python -m tests.benchmarks.scale_out [--alerts 1200] [--declarations 20]

All replicas run on this machine, so the figures show the overhead of coordination,
not added capacity. Requests leave from a separate process (sender.py); Slack's rate
limits are off in the stand-in.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from sqlalchemy import func, select

from bot.sandbox import SlackStandIn
from bot.store.db import Database
from bot.store.models import Incident, ReceivedRequest
from tests.alerts.helpers import ALERT_ENV, ALERT_TOKEN, applied
from tests.benchmarks.alert_storm import deliveries, request
from tests.benchmarks.common import Sender, percentile
from tests.support import BotProcess, fresh_database

USER = "U0BENCH01"


def _left(url: str) -> tuple[int, int]:
    """(requests not done, incidents not set up)."""
    db = Database(url)
    try:
        with db.begin() as session:
            open_requests = session.scalar(
                select(func.count())
                .select_from(ReceivedRequest)
                .where(ReceivedRequest.done_at.is_(None))
            )
            unfinished = session.scalar(
                select(func.count()).select_from(Incident).where(Incident.provisioned_at.is_(None))
            )
        return int(open_requests or 0), int(unfinished or 0)
    finally:
        db.dispose()


def _declarations(
    slack: SlackStandIn, bots: list[BotProcess], channel: str, count: int, tag: str
) -> list[dict[str, Any]]:
    out = []
    for n in range(count):
        prepared = slack.prepare_command(
            f"declare sev3 Scale {tag} {n}", user=USER, channel=channel
        )
        out.append(
            {
                "url": bots[n % len(bots)].url + "/slack/events",
                "body": prepared.body.decode(),
                "headers": prepared.headers,
            }
        )
    return out


def run_one(replicas: int, alerts: int, declarations: int) -> dict[str, Any]:
    bodies = deliveries(alerts, groups=8, batch=10)
    with fresh_database("postgresql") as url, SlackStandIn(rate_limits={}) as slack:
        slack.add_user(USER, "bench")
        general = slack.add_channel("general", members={USER})
        slack.add_channel("incidents")
        first = BotProcess(slack, url, **ALERT_ENV)
        first.migrate()
        bots = [first.start()] + [
            BotProcess(slack, url, **ALERT_ENV).start() for _ in range(replicas - 1)
        ]
        sender = Sender()
        figures: dict[str, Any] = {"replicas": replicas}
        try:
            storm = [
                {**request(b, ALERT_TOKEN), "url": bots[n % replicas].url + "/alerts/alertmanager"}
                for n, b in enumerate(bodies)
            ]
            began = time.perf_counter()
            for start in range(0, len(storm), 20):
                sender.fire("", storm[start : start + 20], expect=202)
            sent_for = time.perf_counter() - began
            total = sum(len(b["alerts"]) for b in bodies)
            applied(url, len(bodies), timeout=300)
            figures["accepted_per_s"] = total / sent_for
            figures["applied_per_s"] = total / (time.perf_counter() - began)

            acks = [
                s
                for _, s in sender.fire("", _declarations(slack, bots, general, declarations, "a"))
            ]
            figures["declare_p95_ms"] = percentile(acks, 95) * 1000

            if replicas > 1:
                burst = _declarations(slack, bots, general, declarations, "b")
                sender.fire("", burst)
                victim = bots[-1]
                assert victim.proc is not None
                victim.proc.kill()
                killed = time.monotonic()
                figures["left_at_kill"] = _left(url)
                while _left(url) != (0, 0):
                    time.sleep(0.2)
                    if time.monotonic() - killed > 120:
                        break
                figures["finished_after_s"] = time.monotonic() - killed
        finally:
            sender.close()
            for bot in bots:
                bot.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1200)
    parser.add_argument("--declarations", type=int, default=20)
    args = parser.parse_args()
    results = [run_one(n, args.alerts, args.declarations) for n in (1, 2, 3)]
    base = results[0]
    print(
        f"scale-out benchmark: {args.alerts} alerts, {args.declarations} declarations, "
        "PostgreSQL, all replicas on this machine"
    )
    for figures in results:
        line = (
            f"  {figures['replicas']} replica(s): accepted {figures['accepted_per_s']:6.0f} "
            f"alerts/s ({figures['accepted_per_s'] / base['accepted_per_s']:.2f}x one)   "
            f"applied {figures['applied_per_s']:6.0f} alerts/s   "
            f"declare ack p95 {figures['declare_p95_ms']:6.1f} ms"
        )
        if "left_at_kill" in figures:
            requests_left, setups_left = figures["left_at_kill"]
            line += (
                f"\n      one killed after a declare burst: {requests_left} request(s) and "
                f"{setups_left} set-up(s) unfinished then (every replica's); all finished "
                f"{figures['finished_after_s']:.1f} s after the kill"
            )
        print(line)


if __name__ == "__main__":
    main()
