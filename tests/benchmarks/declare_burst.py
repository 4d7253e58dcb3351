"""Bursts of concurrent ``/incident declare`` against a running bot.

Prints the acknowledgement latency (median, p95, p99), the time from sending a
command until its channel exists in the Slack stand-in, and whether every
channel was made under a distinct name. Two baselines, measured in the same
process the same way: an unsigned request, refused from its headers alone (the
floor set by the HTTP stack and the load generator on this machine), and
``/incident help``, an acknowledgement with no work behind it (HTTP, signature
checking, keeping the request, and Bolt).

    python -m tests.benchmarks.declare_burst [--bursts 5] [--concurrency 20]
        [--database sqlite|postgresql]

Slack's own rate limits are off here (they would measure Slack, not the bot);
half of each burst shares one title, so name collisions are part of the load.
The requests leave from a separate process (sender.py) so that the stand-in,
busy answering the bot's Slack calls, does not slow the clock that times them.
"""

from __future__ import annotations

import argparse
import statistics
from datetime import UTC, datetime

from bot.incidents.channel_names import channel_name
from bot.sandbox import SlackStandIn
from tests.benchmarks.common import Sender, percentile
from tests.support import BotProcess, fresh_database

USER = "U0BENCH01"


def burst(
    bot: BotProcess, sender: Sender, texts: list[str], channel: str
) -> list[tuple[str, float, float]]:
    """Send ``texts`` at once; returns (text, sent_at, ack_seconds) per command."""
    prepared = [bot.slack.prepare_command(t, user=USER, channel=channel) for t in texts]
    requests = [{"body": p.body.decode(), "headers": p.headers} for p in prepared]
    timings = sender.fire(bot.url + "/slack/events", requests)
    return [(text, sent, ack) for text, (sent, ack) in zip(texts, timings, strict=True)]


def created_channels(slack: SlackStandIn) -> list[dict[str, object]]:
    return [c for c in slack.calls_to("conversations.create") if c.get("ok")]


def run(bursts: int, concurrency: int, database: str) -> None:
    with fresh_database(database) as url, SlackStandIn(rate_limits={}) as slack:
        slack.add_user(USER, "bench")
        general = slack.add_channel("general", members={USER})
        bot = BotProcess(slack, url)
        bot.migrate()
        bot.start()
        sender = Sender()
        try:
            # Warm up both paths once, then measure.
            burst(bot, sender, ["help"], general)
            burst(bot, sender, ["declare sev4 Warm-up incident"], general)
            unsigned = [{"body": "command=%2Fincident&text=help", "headers": {}}] * concurrency
            floor = [
                seconds
                for _ in range(bursts)
                for _, seconds in sender.fire(bot.url + "/slack/events", unsigned, expect=401)
            ]
            help_acks = [
                a
                for _ in range(bursts)
                for _, _, a in burst(bot, sender, ["help"] * concurrency, general)
            ]
            declare_acks: list[float] = []
            exists_after: list[float] = []
            for n in range(bursts):
                texts = [
                    f"declare sev2 Shared title burst {n}"
                    if i % 2
                    else f"declare sev2 Burst {n} incident {i}"
                    for i in range(concurrency)
                ]
                made_before = len(created_channels(slack))
                sent = burst(bot, sender, texts, general)
                declare_acks += [ack for _, _, ack in sent]
                # The next burst leaves once this one's channels all exist.
                slack.wait_for(
                    lambda m=made_before: len(created_channels(slack)) >= m + concurrency,
                    timeout=120,
                    what="the burst's channels",
                )
                started = min(at for _, at, _ in sent)
                exists_after += [c["at"] - started for c in created_channels(slack)[made_before:]]
            expected = bursts * concurrency + 1
        finally:
            sender.close()
            bot.stop()

        names = [c["result"]["channel"]["name"] for c in created_channels(slack)]
        day = datetime.now(UTC).date()
        shared = [n for n in names if n.startswith(channel_name("inc", day, "Shared title"))]

    ms = 1000.0
    print(
        f"declare burst benchmark: {bursts} bursts x {concurrency} concurrent commands, "
        f"database={database}"
    )
    for label, values in (
        ("unsigned (floor)", floor),
        ("help (baseline) ack", help_acks),
        ("declare ack", declare_acks),
    ):
        print(
            f"  {label:22s} median {statistics.median(values) * ms:7.1f} ms   "
            f"p95 {percentile(values, 95) * ms:7.1f} ms   p99 {percentile(values, 99) * ms:7.1f} ms"
        )
    starts = range(0, bursts * concurrency, concurrency)
    slowest = [max(declare_acks[i : i + concurrency]) for i in starts]
    print("  slowest declare ack per burst (ms): " + ", ".join(f"{s * ms:.0f}" for s in slowest))
    ratio = percentile(declare_acks, 95) / percentile(help_acks, 95)
    print(f"  declare/help p95 ratio {ratio:.2f}")
    print(f"  help/floor p95 ratio {percentile(help_acks, 95) / percentile(floor, 95):.2f}")
    print(
        f"  channel exists after   median {statistics.median(exists_after) * ms:7.1f} ms   "
        f"p95 {percentile(exists_after, 95) * ms:7.1f} ms   max {max(exists_after) * ms:7.1f} ms"
    )
    print(
        f"  channels created {len(names)} of {expected}, distinct names {len(set(names))}, "
        f"shared-title channels {len(shared)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    run(args.bursts, args.concurrency, args.database)


if __name__ == "__main__":
    main()
