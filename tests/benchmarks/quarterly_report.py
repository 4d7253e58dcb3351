"""The quarterly review over a large history.

Builds ``--incidents`` incidents (100,000 by default) with ``--events`` timeline
events among them (2,000,000), spread over 2026Q2 and 2026Q3, in a fresh
database; then produces the 2026Q3 review, which reads both quarters (the
figures compare with the one before), so every incident and event is read.

It prints, each the median of ``--repeat`` runs after a warm-up:
- in this process, each step: reading (the SQL aggregates), computing the
  figures (pandas), drawing the three charts, rendering the HTML;
- ``incidentbot report --quarter 2026Q3 --format html -o FILE`` as a person runs it, in its
  own process: wall time (Python's start and imports included) and the process's peak
  memory (its maximum resident set);
- the same in-process figures for a baseline of 1,000 incidents in the same run, and the
  ratio.

    python -m tests.benchmarks.quarterly_report [--incidents 100000] [--events 2000000]
        [--repeat 3] [--database sqlite|postgresql]

The goal: the HTML report with its charts under 3 s, memory under 1 GB.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert

from bot.incidents import facts
from bot.review import charts, figures, period, render
from bot.review.load import read
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.models import Incident, TimelineEvent
from tests.review.story import CADENCE
from tests.support import fresh_database

START = datetime(2026, 4, 1, tzinfo=UTC)
SPAN = datetime(2026, 10, 1, tzinfo=UTC) - START
NOW = datetime(2026, 10, 15, tzinfo=UTC)
MODELS = [f"model-{i}" for i in range(40)]
CATEGORIES = ["data-drift", "concept-drift", "feature-pipeline", "infrastructure", None]
PEOPLE = ["U0ALICE01", "U0BOB0002", "U0CARA003", "U0DAN0004"]
# The events each incident gets first, then notes, updates and alerts until its share.
ROUTINE = (
    "alert_fired",
    "role_assigned",
    "triage_answered",
    "triage_proposed",
    "status_update",
    "action_item",
)
FILLER = ("note", "status_update", "alert_refired", "triage_answered", "pinned_message")
BATCH = 20_000
# Columns timeline.record keeps on the incident (bot.incidents.facts), filled in as it would.
SUMMARY = (
    "first_alert_at",
    "mitigated_at",
    "postmortem_published_at",
    "first_notice_at",
    "triage_cause",
)


def build(db: Database, incidents: int, events: int, seed: int = 7) -> None:
    """``incidents`` incidents with ``events`` events in all, written in batches."""
    rng = random.Random(seed)
    per = max(events // incidents, len(ROUTINE) + 2)
    incident_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    event_id = 0
    for n in range(1, incidents + 1):
        declared = START + SPAN * rng.random()
        severity = rng.choices(["sev1", "sev2", "sev3", "sev4"], [1, 3, 5, 2])[0]
        by_person = rng.random() < 0.4
        resolved = declared + timedelta(minutes=rng.lognormvariate(4.5, 1.0))
        is_open = rng.random() < 0.02
        row = {
            "id": n,
            "title": f"Incident {n}",
            "severity": severity,
            "status": "investigating" if is_open else "resolved",
            "service": rng.choice(MODELS),
            "failure_category": rng.choice(CATEGORIES),
            "declared_by": rng.choice(PEOPLE) if by_person else None,
            "declared_at": declared,
            "resolved_at": None if is_open else resolved,
            "detected_at": None if by_person else declared - timedelta(minutes=5),
            "detected_by": None if by_person else "Alertmanager: Something",
            "private": rng.random() < 0.03,
            "drill": "fraud-false-positives" if rng.random() < 0.01 else None,
            "channel_name": f"inc-{n}",
            "acknowledged_at": declared if by_person else None,
            **dict.fromkeys(SUMMARY, None),
            "updates_sent": 0,
            "updates_late": 0,
        }
        incident_rows.append(row)
        summary = SimpleNamespace(**row)  # what timeline.record keeps up to date, folded here
        span = (resolved - declared) if not is_open else timedelta(hours=6)
        kinds = list(ROUTINE) + [rng.choice(FILLER) for _ in range(per - len(ROUTINE) - 2)]
        if not is_open:
            kinds.append("resolved")
            if severity in ("sev1", "sev2") and rng.random() < 0.7:
                kinds.append("postmortem_published")
            if rng.random() < 0.05:
                kinds.append("key_time_corrected")
        for i, kind in enumerate(kinds):
            event_id += 1
            at = declared + span * (i / len(kinds))
            if kind == "postmortem_published":
                at = resolved + timedelta(days=rng.uniform(1, 9))
            event = _event(event_id, n, kind, at, rng, declared)
            event_rows.append(event)
            facts.absorb(summary, SimpleNamespace(**event))  # type: ignore[arg-type]
        row.update(vars(summary))
        if len(event_rows) >= BATCH:
            _write(db, incident_rows, event_rows)
            incident_rows, event_rows = [], []
    _write(db, incident_rows, event_rows)


def _event(
    event_id: int, incident: int, kind: str, at: datetime, rng: random.Random, declared: datetime
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if kind == "triage_answered":
        data = {
            "question": rng.choice(["trend", "serving"]),
            "answer": rng.choice(["better", "worse"]),
        }
    elif kind == "triage_proposed":
        data = {"cause": rng.choice(["model", "data", "pipeline", "infrastructure"])}
    elif kind == "status_update":
        data = {"update_kind": "update", "message": "what we know", "late": rng.random() < 0.2}
    elif kind == "action_item":
        data = {"item": "do it", "owner": None, "due": "2026-09-01"}
    elif kind == "key_time_corrected":
        data = {"which": "detected", "at": (declared - timedelta(hours=1)).isoformat()}
    return {
        "id": event_id,
        "incident_id": incident,
        "kind": kind,
        "occurred_at": at,
        "actor": rng.choice(PEOPLE) if kind not in ("alert_fired", "alert_refired") else None,
        "text": kind,
        "data": data,
    }


def _write(db: Database, incidents: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    with db.begin() as session:
        if incidents:
            session.execute(insert(Incident.__table__), incidents)
        if events:
            session.execute(insert(TimelineEvent.__table__), events)


def steps(db: Database) -> dict[str, float]:
    """Seconds for each step of the HTML report, in this process."""
    chosen = period.parse_quarter("2026Q3")
    out: dict[str, float] = {}
    began = time.perf_counter()
    facts = read(db, chosen.previous().start, chosen.end, include_drills=False)
    out["read"] = time.perf_counter() - began
    mark = time.perf_counter()
    review = figures.compute(facts, chosen, CADENCE, NOW, include_drills=False)
    out["figures"] = time.perf_counter() - mark
    mark = time.perf_counter()
    charts.all_charts(review.incidents, chosen.start, chosen.end)
    out["charts"] = time.perf_counter() - mark
    mark = time.perf_counter()
    render.produce(review, "html")  # draws the charts again: the whole document, as the CLI
    out["html (with charts)"] = time.perf_counter() - mark
    out["whole report"] = out["read"] + out["figures"] + out["html (with charts)"]
    return out


def median_steps(db: Database, repeat: int) -> dict[str, float]:
    steps(db)  # warm-up: imports, Jinja's compilation, matplotlib's fonts
    runs = [steps(db) for _ in range(repeat)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def cli(url: str) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of ``incidentbot report`` in its own process."""
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        pid = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "report",
                "--quarter",
                "2026Q3",
                "--format",
                "html",
                "-o",
                os.path.join(folder, "review.html"),
            ],
            env={**os.environ, "DATABASE_URL": url},
            stderr=subprocess.DEVNULL,
        ).pid
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - began
        assert status == 0, "incidentbot report failed"
    return seconds, usage.ru_maxrss / 1024


def measure(kind: str, incidents: int, events: int, repeat: int) -> dict[str, Any]:
    with fresh_database(kind) as url:
        upgrade(url)
        db = Database(url)
        try:
            began = time.perf_counter()
            build(db, incidents, events)
            built = time.perf_counter() - began
            figures_in_process = median_steps(db, repeat)
            runs = [cli(url) for _ in range(repeat)]
        finally:
            db.dispose()
    return {
        "built": built,
        "steps": figures_in_process,
        "cli": statistics.median(r[0] for r in runs),
        "memory": max(r[1] for r in runs),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)

    baseline = measure(args.database, 1_000, 20_000, args.repeat)
    large = measure(args.database, args.incidents, args.events, args.repeat)
    show: Callable[[str], None] = print
    show(f"database: {args.database}; the 2026Q3 review reads 2026Q2 and 2026Q3")
    show(f"built {args.incidents:,} incidents / {args.events:,} events in {large['built']:.0f} s")
    show(
        f"{'step (in process, median)':28} {'1,000 incidents':>16} "
        f"{args.incidents:>12,} {'ratio':>7}"
    )
    for step, seconds in large["steps"].items():
        base = baseline["steps"][step]
        show(f"{step:28} {base:15.3f}s {seconds:11.3f}s {seconds / base:6.1f}x")
    show(
        f"incidentbot report (own process, imports included): {baseline['cli']:.2f} s for 1,000 "
        f"incidents, {large['cli']:.2f} s for {args.incidents:,}; peak memory "
        f"{baseline['memory']:.0f} MB and {large['memory']:.0f} MB"
    )


if __name__ == "__main__":
    main()
