"""A burst of SEV1 declarations against a running bot that pages through PagerDuty.

Prints the time from each ``/incident declare sev1`` leaving the sender until the
PagerDuty stand-in accepted its page (median, p95, max) and how many pages each incident
made. Then a second burst, with the bot killed (SIGKILL) once some of it has paged and
started again: every acknowledged declaration must still page exactly once.

    python -m tests.benchmarks.page_burst [--incidents 50] [--database sqlite|postgresql]

Slack's rate limits are off (they would measure Slack, not the bot). Goal: p95 under
2 s, no incident with more than one page.
"""

from __future__ import annotations

import argparse
import re
import statistics
from collections import Counter

from bot.sandbox import SlackStandIn
from tests.benchmarks.common import Sender, percentile
from tests.pager_standins.pagerduty import TOKEN, PagerDutyStandIn
from tests.support import BotProcess, fresh_database

USER = "U0BENCH01"
KEY = re.compile(r"^incidentbot:(INC-\d+):")


def pages_by_incident(pd: PagerDutyStandIn) -> Counter[str]:
    with pd.lock:
        keys = [i.key or "" for i in pd.incidents.values()]
    return Counter(m.group(1) for k in keys if (m := KEY.match(k)))


def declare_burst(bot: BotProcess, sender: Sender, count: int, tag: str, channel: str) -> float:
    texts = [f"declare sev1 {tag} model {i} flags payments" for i in range(count)]
    prepared = [bot.slack.prepare_command(t, user=USER, channel=channel) for t in texts]
    requests = [{"body": p.body.decode(), "headers": p.headers} for p in prepared]
    timings = sender.fire(bot.url + "/slack/events", requests)
    return min(sent for sent, _ in timings)


def run(incidents: int, database: str) -> None:
    with (
        fresh_database(database) as url,
        SlackStandIn(rate_limits={}) as slack,
        PagerDutyStandIn() as pd,
    ):
        slack.add_user(USER, "bench")
        general = slack.add_channel("general", members={USER})
        pd.add_user("PUONCALL", "Olive", "olive@example.com")
        pd.add_user("PUBOT", "Bot", "bot@example.com")
        pd.add_service("PDEFAULT", "ML platform", [["PUONCALL"]])
        env = {
            "INCIDENTBOT_PAGERDUTY_TOKEN": TOKEN,
            "INCIDENTBOT_PAGERDUTY_FROM": "bot@example.com",
            "INCIDENTBOT_PAGERDUTY_URL": pd.url,
            "INCIDENTBOT_PAGERDUTY_SERVICE": "PDEFAULT",
        }
        bot = BotProcess(slack, url, **env)
        bot.migrate()
        bot.start()
        sender = Sender()
        try:
            started = declare_burst(bot, sender, incidents, "First", general)
            slack.wait_for(lambda: len(pd.incidents) >= incidents, timeout=180, what="every page")
            with pd.lock:
                after = [i.created - started for i in pd.incidents.values()]
            first = pages_by_incident(pd)

            # The second burst: killed once a quarter of it has paged, then started again.
            declare_burst(bot, sender, incidents, "Second", general)
            slack.wait_for(
                lambda: len(pd.incidents) >= incidents + incidents // 4,
                timeout=180,
                what="a quarter of the second burst's pages",
            )
            assert bot.proc is not None
            bot.proc.kill()
            bot.proc.wait(10)
            paged_before_kill = len(pd.incidents) - incidents
            bot.start()
            slack.wait_for(
                lambda: len(pages_by_incident(pd)) >= 2 * incidents,
                timeout=180,
                what="the second burst's pages after the restart",
            )
            both = pages_by_incident(pd)
        finally:
            sender.close()
            bot.stop()

    ms = 1000.0
    print(f"page burst benchmark: {incidents} SEV1 declarations at once, database={database}")
    print(
        f"  declared -> page accepted   median {statistics.median(after) * ms:7.1f} ms   "
        f"p95 {percentile(after, 95) * ms:7.1f} ms   max {max(after) * ms:7.1f} ms"
    )
    print(
        f"  first burst: {len(first)} incidents paged, pages per incident "
        f"{sorted(set(first.values()))}"
    )
    twice = [ref for ref, n in both.items() if n > 1]
    print(
        f"  second burst, killed after {paged_before_kill} pages and restarted: "
        f"{len(both) - len(first)} incidents paged, incidents paged twice: {len(twice)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=50)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    run(args.incidents, args.database)


if __name__ == "__main__":
    main()
