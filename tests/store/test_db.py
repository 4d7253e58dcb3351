"""The database helper: SQLite writers take turns, and a failed one never keeps the turn."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.store.db import Database
from bot.store.models import Incident


def add_incident(db: Database, title: str) -> None:
    with db.begin() as session:
        declare(session, Declaration(title, Severity.SEV3, "U1"))


def count(db: Database) -> int:
    with db.begin() as session:
        return session.scalar(select(func.count()).select_from(Incident)) or 0


def test_many_threads_writing_at_once_all_get_their_turn(db: Database) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                add_incident(db, f"Writer {n} incident {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and count(db) == 80


def test_a_transaction_that_fails_after_writing_frees_the_turn(db: Database) -> None:
    with pytest.raises(RuntimeError), db.begin() as session:
        declare(session, Declaration("Rolled back", Severity.SEV3, "U1"))
        session.flush()  # the write happened
        raise RuntimeError("the unit of work fails")
    other = threading.Thread(target=add_incident, args=(db, "Next writer"))
    other.start()
    other.join(10)
    assert not other.is_alive(), "the next writer is stuck behind a rolled-back one"
    assert count(db) == 1
