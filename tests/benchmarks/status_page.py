"""The public status page on a large history, timed over real HTTP.

Fills a fresh SQLite database with ``--incidents`` incidents, every one published on
the status page (a public story, two updates, a component's impact window, a quarter of
an hour apart, so the last 90 days hold about 8,600 of them and the last few are open),
then serves the status page's routes (uvicorn, the real templates) and times, ``--tries``
times each:

- ``/status`` drawn after a new publication (nothing cached: every read and the bars),
- ``/status``, ``/status.json`` and ``/status/feed.atom`` asked again (drawn once for
  this version, then served from memory), and ``/status`` with ``If-None-Match`` (304),
- one incident's page, a different incident each time (drawn each time);

and the day's first ``/status``, which reads the 90 days' windows (the days before today
are kept for the rest of the day: no publication changes them).

Prints p50 and p95 per page and how many times faster the drawn page is served again.
Goal: p95 under 50 ms for every page.

    python -m tests.benchmarks.status_page [--incidents 100000] [--tries 50]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the bot is imported once the flags are read: --help answers at once
    import httpx
    import uvicorn

    from bot.store.db import Database

EXAMPLE = Path(__file__).resolve().parents[2] / "templates" / "statuspage.toml"
KEYS = ["card-payments", "recommendations", "support-chat"]  # the example file's
STATES = ["degraded_performance", "partial_outage", "major_outage"]
OPEN = 5  # the newest incidents are still open


def _s(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if moment else None


def fill(path: Path, incidents: int, now: datetime, seed: int = 7) -> list[str]:
    """Every incident published; returns the public ids."""
    rng = random.Random(seed)
    first = now - timedelta(minutes=15 * incidents)
    conn = sqlite3.connect(path)
    ids = [f"p{n:09d}" for n in range(1, incidents + 1)]
    rows, stories, updates, windows = [], [], [], []
    for n in range(1, incidents + 1):
        began = first + timedelta(minutes=15 * n)
        over = n <= incidents - OPEN
        ended = began + timedelta(minutes=rng.randint(5, 120)) if over else None
        key, state = rng.choice(KEYS), rng.choice(STATES)
        rows.append(
            (
                n,
                f"incident {n}",
                "sev2",
                "resolved" if over else "investigating",
                _s(began),
                _s(ended),
            )
        )
        stories.append(
            (
                n,
                n,
                ids[n - 1],
                f"{key} trouble {n}",
                "resolved" if over else "investigating",
                "major",
                json.dumps({key: "operational" if over else state}),
                _s(began),
                _s(ended or began),
                _s(ended),
            )
        )
        updates.append(
            (
                2 * n - 1,
                n,
                "investigating",
                f"Customers may see errors ({n}).",
                json.dumps({key: state}),
                _s(began),
                "U0ALICE01",
            )
        )
        if over:
            updates.append(
                (
                    2 * n,
                    n,
                    "resolved",
                    "Resolved.",
                    json.dumps({key: "operational"}),
                    _s(ended),
                    "U0ALICE01",
                )
            )
        windows.append((n, n, key, state, _s(began), _s(ended)))
    conn.executemany(
        "INSERT INTO incidents (id, title, severity, status, declared_at, resolved_at, private, "
        "declared_by, drill_paused_seconds, updates_sent, updates_late) "
        "VALUES (?,?,?,?,?,?,0,'U0ALICE01',0,0,0)",
        rows,
    )
    conn.executemany(
        "INSERT INTO public_incidents (id, incident_id, public_id, title, status, impact, "
        "components, started_at, updated_at, resolved_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        stories,
    )
    conn.executemany(
        "INSERT INTO public_updates (id, public_incident_id, status, body, components, "
        "published_at, published_by) VALUES (?,?,?,?,?,?,?)",
        updates,
    )
    conn.executemany(
        "INSERT INTO public_component_impacts (id, public_incident_id, component, state, "
        "started_at, ended_at) VALUES (?,?,?,?,?,?)",
        windows,
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return ids


def serve(db: Database, page: Any, now: datetime) -> tuple[str, uvicorn.Server]:
    import uvicorn
    from starlette.applications import Starlette

    from bot.statuspage.pages import StatusPages
    from tests.support import free_port

    port = free_port()
    routes = StatusPages(db, page, clock=lambda: now).routes()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=routes),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def _timed(client: httpx.Client, path: str, **headers: str) -> tuple[float, int]:
    began = time.perf_counter()
    answer = client.get(path, headers=headers)
    return (time.perf_counter() - began) * 1000, answer.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--tries", type=int, default=50)
    args = parser.parse_args()
    import httpx

    from bot.incidents.permissions import Actor, Policy
    from bot.statuspage import components
    from bot.statuspage.publishing import Publication, publish
    from bot.statuspage.states import ComponentState
    from bot.store.db import Database
    from bot.store.migrate import upgrade
    from bot.store.models import Incident
    from tests.benchmarks.common import percentile

    page = components.load(EXAMPLE)
    assert page.keys() == KEYS
    path = Path(tempfile.mkdtemp()) / "status.db"
    url = f"sqlite:///{path}"
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    began = time.perf_counter()
    upgrade(url)
    ids = fill(path, args.incidents, now)
    print(
        f"sqlite: {args.incidents:,} incidents, each published, stored in "
        f"{time.perf_counter() - began:.0f} s"
    )
    db = Database(url)
    base, server = serve(db, page, now)
    rng = random.Random(3)
    times: dict[str, list[float]] = {}
    open_one = args.incidents  # the newest, still open: each try publishes on it
    with httpx.Client(base_url=base, timeout=30) as client:
        first, status = _timed(client, "/status")  # the 90 days read: once a day
        assert status == 200
        for i in range(args.tries):
            with db.begin() as session:
                incident = session.get(Incident, open_one)
                assert incident is not None
                publish(
                    session,
                    incident,
                    page,
                    Policy(),
                    Actor("U0ALICE01"),
                    Publication(
                        text=f"Still investigating ({i}).",
                        components={KEYS[0]: ComponentState.PARTIAL},
                    ),
                    now=now,
                )
            for name, path_, headers in (
                ("/status, drawn after a publication", "/status", {}),
                ("/status, again", "/status", {}),
                ("/status.json", "/status.json", {}),
                ("/status/feed.atom", "/status/feed.atom", {}),
            ):
                ms, status = _timed(client, path_, **headers)
                assert status == 200, (path_, status)
                times.setdefault(name, []).append(ms)
            etag = client.get("/status").headers["etag"]
            ms, status = _timed(client, "/status", **{"If-None-Match": etag})
            assert status == 304
            times.setdefault("/status, If-None-Match (304)", []).append(ms)
            ms, status = _timed(client, f"/status/incidents/{rng.choice(ids)}")
            assert status == 200
            times.setdefault("/status/incidents/<id>, drawn", []).append(ms)
    server.should_exit = True
    for name, values in times.items():
        print(
            f"{name:<38} p50 {percentile(values, 50):6.1f} ms   "
            f"p95 {percentile(values, 95):6.1f} ms"
        )
    print(f"{'/status, first of the day (90 days read)':<38} {first:6.1f} ms (once)")
    drawn = percentile(times["/status, drawn after a publication"], 50)
    again = percentile(times["/status, again"], 50)
    print(f"/status served again is {drawn / again:.1f}x faster than drawn (p50)")


if __name__ == "__main__":
    main()
