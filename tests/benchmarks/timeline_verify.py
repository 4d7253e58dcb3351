"""Checking a long incident's hash chain: ``incidentbot verify`` on 100,000 events.

Builds an incident of ``--events`` timeline events (notes, updates, alerts, in
transactions of 1,000 as the bot writes them, so every event is chained by the
bot's own hook) in a fresh database, then times in this process: reading the whole
timeline as the post-mortem does (the baseline: the floor any check must pay),
``reporting.chain.verify`` over it, and ``incidentbot verify`` as a process of its
own (its start-up included). Figures are the median of ``--repeat`` runs. Then what the
chain costs a write: ``--writes`` transactions of one event each (a note, as a person adds
it), timed with the chain's hook and, as the baseline, with the hook taken off.

    python -m tests.benchmarks.timeline_verify [--events 100000] [--repeat 3]
        [--writes 2000] [--database sqlite|postgresql]

The goal is ``incidentbot verify`` under 2 s for 100,000 events on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.kinds import EventKind
from bot.incidents.severity import Severity
from bot.reporting.chain import verify
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.models import Incident, utcnow
from bot.store.models import reporting as reporting_models
from tests.support import fresh_database

KINDS = (EventKind.NOTE, EventKind.STATUS_UPDATE, EventKind.ALERT_REFIRED, EventKind.TRIAGE_NOTE)


def build(db: Database, events: int) -> int:
    start = utcnow() - timedelta(days=3)
    with db.begin() as session:
        incident = declare(
            session,
            Declaration("Fraud model flags 40% of legitimate payments", Severity.SEV1, "U1"),
            now=start,
        )
        incident_id = incident.id
    written = 1
    while written < events:
        with db.begin() as session:
            found = session.get(Incident, incident_id)
            assert found is not None
            for n in range(written, min(events, written + 1000)):
                timeline.record(
                    session,
                    found,
                    KINDS[n % len(KINDS)],
                    f"Event {n}: precision at {0.5 + (n % 40) / 100:.2f} on the payments segment",
                    actor=f"U{n % 7}",
                    when=start + timedelta(seconds=n),
                    score=round((n % 97) / 97, 4),
                )
            written = min(events, written + 1000)
    return incident_id


def median(repeat: int, step: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        step()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def writes(db: Database, incident_id: int, count: int) -> float:
    """Seconds for ``count`` transactions that each add one note."""
    began = time.perf_counter()
    for n in range(count):
        with db.begin() as session:
            found = session.get(Incident, incident_id)
            assert found is not None
            timeline.record(session, found, EventKind.NOTE, f"note {n}", actor="U1")
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with fresh_database(args.database) as url:
        upgrade(url)
        db = Database(url)
        began = time.perf_counter()
        incident_id = build(db, args.events)
        built = time.perf_counter() - began
        print(
            f"built {args.events:,} chained events in {built:.1f} s "
            f"({args.events / built:,.0f} events/s written, chain included)"
        )

        def read() -> None:
            with db.begin() as session:
                timeline.events(session, incident_id)

        def check() -> None:
            with db.begin() as session:
                assert verify(session, incident_id).ok

        baseline = median(args.repeat, read)
        checked = median(args.repeat, check)
        env = {**os.environ, "DATABASE_URL": url}
        command = [sys.executable, "-m", "bot", "verify", f"INC-{incident_id}"]

        def process() -> None:
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr

        whole = median(args.repeat, process)
        # Interleaved, a tenth at a time, so the machine's other work weighs on both alike.
        chained = plain = 0.0
        hook = reporting_models._chain_before_commit
        for _ in range(10):
            chained += writes(db, incident_id, args.writes // 10)
            event.remove(Session, "before_commit", hook)
            try:
                plain += writes(db, incident_id, args.writes // 10)
            finally:
                event.listen(Session, "before_commit", hook)
        db.dispose()
    print(f"database: {args.database}, events: {args.events:,}, median of {args.repeat}")
    print(f"  read the timeline (baseline)   {baseline:6.2f} s")
    print(
        f"  verify the chain, in process   {checked:6.2f} s  ({checked / baseline:.1f}x the read)"
    )
    print(f"  incidentbot verify, a process  {whole:6.2f} s  (goal: under 2 s)")
    per = 1000 * plain / args.writes
    print(
        f"  {args.writes:,} one-event transactions: {1000 * chained / args.writes:.2f} ms each "
        f"with the chain, {per:.2f} ms without ({chained / plain:.2f}x)"
    )


if __name__ == "__main__":
    main()
