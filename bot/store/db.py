"""One engine and one session factory per process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.store import precedence

# How long a SQLite writer waits for the one before it before giving up.
SQLITE_BUSY_SECONDS = 30


def normalise_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` URLs hosts hand out; use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        # Several threads write (the listener pool, the scheduler): wait for the
        # lock instead of failing at once. A file has no connection to lose, so no
        # ping before each use (it was a tenth of the background work's time).
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        # PostgreSQL compiles a query to machine code when its estimated cost is high
        # (JIT); for the console's lists that took 200-300 ms to save a few. Off.
        kwargs["connect_args"] = {"options": "-c jit=off"}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        _take_turns_writing(engine)
    return engine


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


_first = threading.local()  # this thread's writes go before the others' (``writes_first``)


@contextmanager
def writes_first() -> Iterator[None]:
    """While inside, this thread's SQLite writes take their turn before any other waiting
    writer of the process: for the writes a sender waits on (a request stored before its
    acknowledgement), not for the work that follows."""
    before = getattr(_first, "on", False)
    _first.on = True
    try:
        yield
    finally:
        _first.on = before


class _Turns:
    """A re-entrant lock whose waiters marked ``first`` are served before the others."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._first_waiting = 0

    def acquire(self, first: bool, timeout: float) -> bool:
        me = threading.get_ident()
        with self._changed:
            if self._owner == me:
                self._depth += 1
                return True
            if first:
                self._first_waiting += 1
            try:
                free = self._changed.wait_for(
                    lambda: self._owner is None and (first or not self._first_waiting), timeout
                )
            finally:
                if first:
                    self._first_waiting -= 1
            if not free:
                return False
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._changed:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._changed.notify_all()


def _take_turns_writing(engine: Engine) -> None:
    """Queue this process's SQLite writers on a lock of our own.

    SQLite lets one connection write at a time; one that finds the write lock
    taken sleeps in growing steps (up to 100 ms) before it looks again, so under
    load a write can wait far longer than the writer ahead of it took. This
    lock is taken where SQLite takes its own (a transaction's first write) and
    released just after SQLite releases it (the connection goes back to the pool
    after its commit or rollback), so it adds no new way to deadlock; a waiting
    writer is woken the moment the one before it is done, and a writer inside
    ``writes_first`` goes before the others that wait. Several processes on one
    SQLite file still meet at SQLite's lock.
    """
    turns = _Turns()

    def before_execute(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if conn.info.get("writing") or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        # Bounded like SQLite's own busy timeout: past it, the statement goes ahead
        # and meets SQLite's lock, which fails it as it always would have.
        taken = turns.acquire(getattr(_first, "on", False), SQLITE_BUSY_SECONDS)
        conn.info["writing"] = "held" if taken else "timed out"

    def release(info: dict[str, Any]) -> None:
        if info.pop("writing", None) == "held":
            turns.release()

    event.listen(engine, "before_cursor_execute", before_execute)
    # Every unit of work hands its connection back once it has committed or
    # rolled back, so the lock is free once SQLite's is.
    event.listen(engine.pool, "checkin", lambda _dbapi, record: release(record.info))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()


def insert_new(session: Session, table: Any, key: str, rows: list[dict[str, Any]]) -> set[Any]:
    """Insert the rows whose ``key`` is not taken yet, in one statement; returns the keys
    inserted. Two writers racing for one key: one inserts it, the other is told it did
    not (``ON CONFLICT DO NOTHING``, in PostgreSQL and SQLite alike). The rows go as
    parameters of Core's statement, not as its text: one compiled statement serves any
    number of rows, and the request journal (a sender waits on it) skips the ORM."""
    if not rows:
        return set()
    from sqlalchemy.dialects import postgresql, sqlite

    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    core = table.__table__
    statement = dialect.insert(core).on_conflict_do_nothing(index_elements=[key])
    return set(session.connection().execute(statement.returning(core.c[key]), rows).scalars())


class Database:
    """The engine plus a unit-of-work helper: ``with db.begin() as session: ...``."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session inside one transaction, committed on success, rolled back on error."""
        with precedence.transaction(), self._sessions() as session, session.begin():
            yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
