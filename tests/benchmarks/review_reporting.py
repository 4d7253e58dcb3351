"""The quarterly review's serious-incident reporting figures over a large history.

Builds the quarterly review benchmark's history (``--incidents`` incidents, 100,000 by
default, with ``--events`` timeline events) in a fresh database, then times the review's
steps in this process twice: first with no incident assessed serious (the baseline: the
review as it was), then with ``--serious`` of them (5% by default) assessed serious, each
with a deadline and, for most, a report sent on time or late. Prints both, the ratio, and
the figures counted.

    python -m tests.benchmarks.review_reporting [--incidents 100000] [--events 200000]
        [--serious 0.05] [--repeat 3] [--database sqlite|postgresql]

The goal: the whole HTML report still under the review's 3 s.
"""

from __future__ import annotations

import argparse
import random
from datetime import timedelta

from sqlalchemy import insert, select

from bot.review import figures, period
from bot.review.load import read
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.models import Incident, SeriousCase
from tests.benchmarks.quarterly_report import CADENCE, NOW, build, median_steps
from tests.support import fresh_database


def assess(db: Database, share: float, seed: int = 11) -> int:
    """Mark ``share`` of the incidents serious: a deadline, and a report sent on time
    (60%), late (25%) or not yet (15%)."""
    rng = random.Random(seed)
    with db.begin() as session:
        rows = session.execute(select(Incident.id, Incident.declared_at)).all()
    chosen = [r for r in rows if rng.random() < share]
    cases = []
    for incident_id, declared in chosen:
        aware = declared + timedelta(hours=rng.randint(1, 48))
        due = aware + timedelta(days=rng.choice((2, 10, 15)))
        roll = rng.random()
        sent = (
            due - timedelta(hours=rng.randint(1, 40))
            if roll < 0.6
            else due + timedelta(hours=rng.randint(1, 90))
            if roll < 0.85
            else None
        )
        cases.append(
            {
                "incident_id": incident_id,
                "regime": "eu-ai-act",
                "serious": True,
                "answers": {"criteria": {"health": "yes"}},
                "assessed_at": aware,
                "aware_at": aware,
                "due_at": due,
                "deadline_days": (due - aware).days,
                "initial_sent_at": sent,
                "reminders_sent": 0,
            }
        )
    with db.begin() as session:
        for start in range(0, len(cases), 5000):
            session.execute(insert(SeriousCase), cases[start : start + 5000])
    return len(cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--serious", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with fresh_database(args.database) as url:
        upgrade(url)
        db = Database(url)
        build(db, args.incidents, args.events)
        before = median_steps(db, args.repeat)
        serious = assess(db, args.serious)
        after = median_steps(db, args.repeat)
        chosen = period.parse_quarter("2026Q3")
        facts = read(db, chosen.previous().start, chosen.end, include_drills=False)
        counted = figures.compute(facts, chosen, CADENCE, NOW, include_drills=False)
        db.dispose()
    print(
        f"database: {args.database}, incidents: {args.incidents:,}, events: {args.events:,}, "
        f"assessed serious: {serious:,}; median of {args.repeat}"
    )
    print(f"  {'step':<22}{'no serious (baseline)':>24}{'with serious':>16}{'ratio':>8}")
    for step in before:
        print(
            f"  {step:<22}{before[step]:>22.2f} s{after[step]:>14.2f} s"
            f"{after[step] / before[step]:>8.2f}"
        )
    print(f"  2026Q3's reporting figures: {counted.figures['reporting']['this']}")
    print(f"  2026Q2's: {counted.figures['reporting']['previous']}  (goal: whole report under 3 s)")


if __name__ == "__main__":
    main()
