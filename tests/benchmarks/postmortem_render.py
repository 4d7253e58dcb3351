"""Rendering the post-mortem of a long incident.

Builds an incident with ``--events`` timeline events (10,000 by default: alerts,
notes, updates, role changes, pinned messages, action items) in a fresh
database, then times each step of ``incidentbot postmortem`` in this process:
reading and assembling the timeline, the Markdown, the chart, and the HTML with
the chart embedded. The baseline, timed the same way in the same run, is an
incident of 100 events; the ratio shows how the cost grows with the timeline.

    python -m tests.benchmarks.postmortem_render [--events 10000] [--repeat 5]
        [--database sqlite|postgresql]

The goal is each whole export (assemble + render; for HTML also the chart) under
1 s for 10,000 events on a 2-core machine. Figures are the median of ``--repeat`` runs, after
one warm-up run (matplotlib's import and Jinja's compilation happen once per
process, as in the bot).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta

from bot.documents.postmortem import assemble, chart, render
from bot.incidents import notes, timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.resolve import resolve
from bot.incidents.severity import Severity
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.models import Incident, utcnow
from tests.incidents.helpers import steering
from tests.support import fresh_database

KINDS = ("note", "status_update", "alert_refired", "role_assigned", "pinned_message", "triage_note")


def build(db: Database, events: int) -> int:
    """An incident with ``events`` events in all (its declaration and resolution included)."""
    start = utcnow() - timedelta(days=2)
    step = timedelta(days=2) / max(events, 1)
    with db.begin() as session:
        incident = declare(
            session,
            Declaration(
                title="Fraud model flags 40% of legitimate payments",
                severity=Severity.SEV1,
                declared_by="U0ALICE01",
                service="fraud-scorer",
            ),
            now=start,
        )
        for n in range(events - 4):
            kind = KINDS[n % len(KINDS)]
            timeline.record(
                session,
                incident,
                kind,
                f"{kind} number {n}: precision 0.{n % 97:02d} on the payments feed <b>",
                actor=f"U{n % 7:08d}",
                when=start + step * (n + 1),
                message=f"update {n}",
                update_kind="update",
                question="impact",
                permalink=f"https://example.slack.com/archives/C1/p{n}",
            )
        notes.add_action(
            session,
            incident,
            notes.ActionItem("Alert on null rates", "U00000001", date(2030, 1, 1)),
            by="U00000002",
        )
        notes.add_action(session, incident, notes.ActionItem("Retrain", None, None), by=None)
        resolve(session, incident, **steering("U0ALICE01"), summary="Rolled back to v41")
        return incident.id


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    fn()  # warm-up
    seconds = []
    result: object = None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), result


def measure(db: Database, incident_id: int, repeat: int) -> dict[str, float]:
    def gather() -> dict[str, object]:
        with db.begin() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            return assemble(session, incident)

    assemble_s, context = timed(gather, repeat)
    assert isinstance(context, dict)
    md_s, markdown = timed(lambda: render(context, "md"), repeat)
    chart_s, png = timed(lambda: chart(context), repeat)
    assert isinstance(png, bytes)
    html_s, _ = timed(lambda: render(context, "html", chart=png), repeat)
    assert context["event_count"] and markdown
    return {
        "assemble": assemble_s,
        "markdown": md_s,
        "chart": chart_s,
        "html": html_s,
        "md export": assemble_s + md_s,
        "html export": assemble_s + chart_s + html_s,
    }


def run(events: int, repeat: int, database: str) -> None:
    results = {}
    for size in (100, events):
        with fresh_database(database) as url:
            upgrade(url)
            db = Database(url)
            try:
                incident_id = build(db, size)
                results[size] = measure(db, incident_id, repeat)
            finally:
                db.dispose()
    base, big = results[100], results[events]
    print(f"post-mortem render, {database}, median of {repeat} runs")
    print(f"{'step':<12} {'100 events':>12} {f'{events:,} events':>16} {'ratio':>8}")
    for step in base:
        ratio = big[step] / base[step] if base[step] else float("nan")
        print(
            f"{step:<12} {base[step] * 1000:>10.1f} ms {big[step] * 1000:>14.1f} ms {ratio:>7.1f}x"
        )
    for export in ("md export", "html export"):
        verdict = "meets" if big[export] < 1.0 else "misses"
        print(f"goal: {export} of {events:,} events under 1 s: {verdict} it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    run(args.events, args.repeat, args.database)


if __name__ == "__main__":
    main()
