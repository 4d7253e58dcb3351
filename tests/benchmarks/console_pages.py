"""The console's pages on a large history, timed over real HTTP.

Fills a database with ``--incidents`` incidents and ``--events`` timeline events (one
incident holds 10,000 of them), then serves the console (uvicorn, the real routes and
templates) and times each page ``--tries`` times: the list with no filter, with
filters, with a word search, a page far back, and the big incident's page (everything,
then one kind). People come from a table in memory (no Slack to ask); the viewer is
fixed by the sandbox's cookie. Prints median and p95 per page. Goal: p95 under 200 ms
for the list and under 300 ms for the incident page.

    python -m tests.benchmarks.console_pages [--database URL] [--incidents 100000]
        [--events 2000000] [--tries 30]

Without ``--database`` a fresh SQLite file is made; give a PostgreSQL URL (an empty
database) to time PostgreSQL.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette

from bot.config import load_settings
from bot.console.routes import Console
from bot.console.signin import SandboxSignIn
from bot.incidents.categories import FAILURE_CATEGORIES
from bot.incidents.permissions import Reader
from bot.store.db import Database, normalise_url
from bot.store.migrate import upgrade
from tests.benchmarks.common import percentile
from tests.support import free_port

WORDS = [
    "precision",
    "recall",
    "drift",
    "latency",
    "feature",
    "pipeline",
    "ranker",
    "fraud",
    "scorer",
    "embedding",
    "tokenizer",
    "threshold",
    "rollback",
    "retrain",
    "skew",
    "label",
    "leak",
    "prompt",
    "toxicity",
    "cost",
    "gpu",
    "quota",
    "schema",
    "null",
    "spike",
    "shadow",
    "canary",
    "cohort",
    "segment",
    "calibration",
]
RARE = "zebrafish"  # in about 1 incident of 100
KINDS = (
    "note",
    "status_update",
    "alert_fired",
    "triage_answered",
    "role_assigned",
    "pinned_message",
    "severity_changed",
    "update_nudged",
)
USERS = [f"U0PERSON{n:02d}" for n in range(50)]
MODELS = [f"model-{n:02d}" for n in range(30)]
VIEWER = USERS[0]
BIG_EVENTS = 10_000


class People:
    def reader(self, user: str) -> Reader:
        return Reader(user, channels=frozenset({"CPRIV0000001"}))

    def names(self, users: Iterable[str]) -> dict[str, str]:
        return {u: u.lower().replace("u0person", "person-") for u in users if u}

    def channel_url(self, channel_id: str) -> str:
        return f"https://slack.com/app_redirect?channel={channel_id}"


def fill(url: str, incidents: int, events: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows, roles = [], []
    for n in range(1, incidents + 1):
        declared = start + timedelta(minutes=n * 15 + rng.randint(0, 10))
        resolved = n < incidents - 50
        words = rng.sample(WORDS, 4) + ([RARE] if rng.random() < 0.01 else [])
        rows.append(
            (
                n,
                " ".join(words).capitalize(),
                f"sev{rng.randint(1, 4)}",
                "resolved" if resolved else "investigating",
                rng.choice(MODELS),
                rng.choice(list(FAILURE_CATEGORIES)),
                rng.choice(USERS),
                declared,
                declared + timedelta(hours=3) if resolved else None,
                declared + timedelta(hours=1) if resolved else None,
                rng.random() < 0.05,
                "fraud-false-positives" if rng.random() < 0.02 else None,
                f"C{n:011d}",
                f"inc-{n}",
            )
        )
        if rng.random() < 0.7:
            roles.append((n, "commander", rng.choice(USERS), declared))
    big = incidents // 2
    spread = events - BIG_EVENTS

    def event_rows() -> Iterable[tuple[object, ...]]:
        for n in range(1, events + 1):
            incident = big if n <= BIG_EVENTS else 1 + (n - BIG_EVENTS) * incidents // (spread + 1)
            at = start + timedelta(minutes=incident * 15, seconds=n % 5000)
            text = " ".join(rng.choices(WORDS, k=6)) + (f" {RARE}" if rng.random() < 0.0005 else "")
            yield (n, incident, rng.choice(KINDS), at, rng.choice(USERS), text)

    db_url = normalise_url(url)
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        conn.executemany(
            "INSERT INTO incidents (id, title, severity, status, service, failure_category, "
            "declared_by, declared_at, resolved_at, mitigated_at, private, drill, channel_id, "
            "channel_name, drill_paused_seconds, updates_sent, updates_late) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,0,0)",
            [(*r[:7], _s(r[7]), _s(r[8]), _s(r[9]), *r[10:]) for r in rows],
        )
        conn.executemany(
            "INSERT INTO role_assignments (incident_id, role, user_id, assigned_at) "
            "VALUES (?,?,?,?)",
            [(*r[:3], _s(r[3])) for r in roles],
        )
        conn.executemany(
            "INSERT INTO timeline_events (id, incident_id, kind, occurred_at, actor, "
            "text, data) VALUES (?,?,?,?,?,?,'{}')",
            ((*e[:3], _s(e[3]), *e[4:]) for e in event_rows()),
        )
        conn.commit()
        conn.execute("ANALYZE")
        conn.close()
        return
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DROP INDEX IF EXISTS ix_timeline_events_search")
        with conn.cursor().copy(
            "COPY incidents (id, title, severity, status, service, failure_category, declared_by, "
            "declared_at, resolved_at, mitigated_at, private, drill, channel_id, channel_name, "
            "drill_paused_seconds, updates_sent, updates_late) FROM STDIN"
        ) as copy:
            for r in rows:
                copy.write_row((*r, 0, 0, 0))
        with conn.cursor().copy(
            "COPY role_assignments (incident_id, role, user_id, assigned_at) FROM STDIN"
        ) as copy:
            for r in roles:
                copy.write_row(r)
        with conn.cursor().copy(
            "COPY timeline_events (id, incident_id, kind, occurred_at, actor, text, data) "
            "FROM STDIN"
        ) as copy:
            for e in event_rows():
                copy.write_row((*e, "{}"))
        conn.execute(
            "CREATE INDEX ix_timeline_events_search ON timeline_events "
            "USING gin (to_tsvector('simple', text))"
        )
        conn.execute("SELECT setval('incidents_id_seq', %s)", (incidents,))
        conn.execute("SELECT setval('timeline_events_id_seq', %s)", (events,))
        conn.execute("ANALYZE")


def _s(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if moment else None


def serve(url: str) -> tuple[str, uvicorn.Server]:
    settings = load_settings({"DATABASE_URL": url})
    console = Console(
        Database(url), settings, People(), SandboxSignIn(frozenset({VIEWER}), VIEWER, "who")
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=console.routes()),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    while not server.started:
        time.sleep(0.05)
    return base, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--tries", type=int, default=30)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'console.db'}"
    began = time.perf_counter()
    upgrade(url)
    fill(url, args.incidents, args.events)
    print(
        f"{normalise_url(url).split(':')[0]}: {args.incidents:,} incidents, {args.events:,} "
        f"events stored in {time.perf_counter() - began:.0f} s"
    )
    base, server = serve(url)
    big = args.incidents // 2
    far = max(1, args.incidents // 100)  # half way back, at 50 a page
    pages = {
        "list, no filter": "/incidents",
        "list, severity + status": "/incidents?severity=sev2&status=resolved",
        "list, model + category": "/incidents?model=model-07&category=data-drift",
        "list, drills only + period": "/incidents?drills=only&from=2025-01-01&to=2025-06-30",
        f"list, search '{RARE}'": f"/incidents?q={RARE}",
        "list, search 'drift rollback'": "/incidents?q=drift+rollback",
        "list, search + severity": f"/incidents?q={RARE}&severity=sev1",
        f"list, page {far:,}": f"/incidents?page={far}",
        f"incident, {BIG_EVENTS:,} events": f"/incidents/{big}",
        "incident, updates only": f"/incidents/{big}?kind=updates",
        "incident, last timeline page": f"/incidents/{big}?page={BIG_EVENTS // 200}",
    }
    results = {}
    with httpx.Client(base_url=base, timeout=60, cookies={"who": VIEWER}) as client:
        for name, path in pages.items():
            first = client.get(path)
            assert first.status_code == 200, (path, first.status_code, first.text[:300])
            times = []
            for _ in range(args.tries):
                t = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - t) * 1000)
            results[name] = (statistics.median(times), percentile(times, 95))
            print(f"{name:<34} median {results[name][0]:6.0f} ms   p95 {results[name][1]:6.0f} ms")
    server.should_exit = True
    out = io.StringIO()
    json.dump(
        {k: {"median_ms": round(v[0], 1), "p95_ms": round(v[1], 1)} for k, v in results.items()},
        out,
    )
    print(out.getvalue())


if __name__ == "__main__":
    main()
