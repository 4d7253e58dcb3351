"""An alert storm against a running bot: Alertmanager-shaped deliveries, several groups.

Prints accepted alerts per second, the response time of the deliveries
(median, p95, p99), how soon every delivery was applied (deduplicated, on the
timeline, incidents opened), and how many incidents were opened, which must
equal the number of groups. The baseline, timed in the same run the same way, is a
delivery refused for a wrong token: the floor set by HTTP and the router.

    python -m tests.benchmarks.alert_storm [--alerts 2000] [--groups 8]
        [--batch 10] [--concurrency 20] [--database sqlite|postgresql]

Each delivery carries ``--batch`` alerts of one group, as Alertmanager batches
them; a third of the deliveries re-send an earlier one, as Alertmanager does
every repeat_interval. Requests leave from a separate process (sender.py).
Slack's rate limits are off in the stand-in: they would measure Slack.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from typing import Any

from bot.sandbox import SlackStandIn
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, ALERT_TOKEN, applied, counts
from tests.benchmarks.common import Sender, percentile
from tests.support import BotProcess, fresh_database


def deliveries(alerts: int, groups: int, batch: int) -> list[dict[str, Any]]:
    """New alerts in batches per group, with every third delivery a repeat of an earlier one."""
    out: list[dict[str, Any]] = []
    sent = 0
    index = 0
    while sent < alerts:
        group = index % groups
        size = min(batch, alerts - sent)
        body = payloads.alertmanager(
            *[
                payloads.am_alert(
                    f"Storm{group}",
                    fingerprint=f"g{group}-a{sent + i}",
                    model=f"model-{group}",
                    severity=("critical", "warning", "info")[group % 3],
                )
                for i in range(size)
            ],
            group_key=f'{{}}:{{alertname="Storm{group}"}}',
        )
        out.append(body)
        sent += size
        index += 1
        if index % 3 == 0:
            out.append(out[len(out) // 2])  # a re-send
    return out


def request(body: dict[str, Any], token: str) -> dict[str, Any]:
    return {
        "body": json.dumps(body),
        "headers": {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    }


def run(alerts: int, groups: int, batch: int, concurrency: int, database: str) -> None:
    bodies = deliveries(alerts, groups, batch)
    with fresh_database(database) as url, SlackStandIn(rate_limits={}) as slack:
        slack.add_channel("incidents")
        bot = BotProcess(slack, url, **ALERT_ENV)
        bot.migrate()
        bot.start()
        sender = Sender()
        endpoint = bot.url + "/alerts/alertmanager"
        try:
            sample = request(bodies[0], "wrong-token")
            sender.fire(endpoint, [sample], expect=401)  # warm-up
            baseline: list[float] = []
            for start in range(0, len(bodies), concurrency):
                wave = [sample] * len(bodies[start : start + concurrency])
                baseline += [s for _, s in sender.fire(endpoint, wave, expect=401)]

            latencies: list[float] = []
            began = time.perf_counter()
            for start in range(0, len(bodies), concurrency):
                wave = [request(b, ALERT_TOKEN) for b in bodies[start : start + concurrency]]
                latencies += [s for _, s in sender.fire(endpoint, wave, expect=202)]
            elapsed = time.perf_counter() - began
            accepted = sum(len(b["alerts"]) for b in bodies)
            outcomes = applied(url, len(bodies), timeout=300)
            applied_after = time.perf_counter() - began
            stored = counts(url)
            slack.wait_for(
                lambda: (
                    len([c for c in slack.channels.values() if c.name.startswith("inc-")]) >= groups
                ),
                timeout=120,
                what="every group's channel",
            )
            channels = len([c for c in slack.channels.values() if c.name.startswith("inc-")])
        finally:
            sender.close()
            bot.stop()

    ms = 1000.0
    print(
        f"alert storm benchmark: {accepted} alerts ({alerts} distinct) in {len(bodies)} "
        f"deliveries of up to {batch}, {groups} groups, {concurrency} concurrent, "
        f"database={database}"
    )
    print(
        f"  accepted {accepted / elapsed:8.0f} alerts/s   "
        f"({len(bodies) / elapsed:.0f} deliveries/s)"
    )
    for label, values in (("refused (baseline)", baseline), ("accepted delivery", latencies)):
        print(
            f"  {label:20s} median {statistics.median(values) * ms:7.1f} ms   "
            f"p95 {percentile(values, 95) * ms:7.1f} ms   p99 {percentile(values, 99) * ms:7.1f} ms"
        )
    print(
        f"  accepted/refused p95 ratio {percentile(latencies, 95) / percentile(baseline, 95):.2f}"
    )
    results = Counter(result for result, _ in outcomes)
    print(
        f"  applied all {len(outcomes)} deliveries {applied_after:.2f} s after the first "
        f"({accepted / applied_after:.0f} alerts/s end to end): "
        + ", ".join(f"{name} {n}" for name, n in sorted(results.items()))
    )
    print(
        f"  deliveries stored {stored['alert_deliveries']} of {len(bodies)}, "
        f"groups {stored['alert_groups']}, incidents {stored['incidents']} "
        f"(must be {groups}), channels {channels}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=8)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    run(args.alerts, args.groups, args.batch, args.concurrency, args.database)


if __name__ == "__main__":
    main()
