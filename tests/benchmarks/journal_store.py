"""Storing a group of received Slack requests, the step every kept acknowledgement waits on.

Times the request journal's store (``bot.outbox.received._store``: the replay keys, then
the requests, one transaction) for groups of 1, 5, 20 and 50 requests in a fresh database,
against the ORM statements it used before, timed the same way in the same process: the
keys inserted as a multi-row ``VALUES`` (a new statement to compile for every group size)
and the requests through the ORM's bulk insert. Figures are the median of ``--repeat``
groups of each size, commit included.

    python -m tests.benchmarks.journal_store [--repeat 40] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.outbox import received
from bot.store.db import Database
from bot.store.models import ReceivedRequest, SeenRequest, utcnow
from tests.support import fresh_database, migrate

SIZES = (1, 5, 20, 50)
_numbers = itertools.count()


def orm_store(session: Session, arrivals: list[received.Arrival]) -> list[int | None]:
    """The journal's store as it was: the same rows, written through the ORM."""
    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    keys = [{"key": k, "expires_at": e} for a in arrivals for k, e in a.keys]
    statement = (
        dialect.insert(SeenRequest).values(keys).on_conflict_do_nothing(index_elements=["key"])
    )
    set(session.scalars(statement.returning(SeenRequest.key)))
    now = utcnow()
    return list(
        session.scalars(
            insert(ReceivedRequest).returning(ReceivedRequest.id, sort_by_parameter_order=True),
            [{"kind": a.kind, "body": a.body, "received_at": now, "attempts": 0} for a in arrivals],
        ).all()
    )


def group(size: int) -> list[received.Arrival]:
    expires = datetime.now(UTC) + timedelta(minutes=5)
    arrivals = []
    for _ in range(size):
        n = next(_numbers)
        body = {"command": "/incident", "text": f"declare sev2 Burst {n}", "user_id": "U0B"}
        arrivals.append(received.Arrival("command", body, ((f"v0=bench{n}", expires),)))
    return arrivals


def timed(
    db: Database, store: Callable[[Session, list[received.Arrival]], Any], size: int, repeat: int
) -> float:
    spent = []
    for _ in range(repeat):
        arrivals = group(size)
        started = time.perf_counter()
        with db.begin() as session:
            store(session, arrivals)
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


def run(repeat: int, database: str) -> None:
    with fresh_database(database) as url:
        migrate(url)
        db = Database(url)
        try:
            for store in (orm_store, received._store):  # warm-up: compile, connect
                timed(db, store, 5, 3)
            print(f"journal store benchmark: median of {repeat} groups, database={database}")
            for size in SIZES:
                before = timed(db, orm_store, size, repeat)
                now = timed(db, received._store, size, repeat)
                print(
                    f"  {size:3d} requests   ORM (before) {before * 1000:6.2f} ms   "
                    f"journal {now * 1000:6.2f} ms   ratio {now / before:.2f}"
                )
        finally:
            db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    run(args.repeat, args.database)


if __name__ == "__main__":
    main()
