"""Slash commands kept until they are done: what an acknowledgement promises is stored
before it is sent.

The listener stores the command (one insert) and acknowledges; a worker claims it
under a lease (renewed while it runs) and runs it. The change it asks for marks it
done in the same transaction (``finish_current`` from the flows' unit of work), so
after a crash a command is either done, and never run again, or not, and the sweep
runs it again once its lease has lapsed. Commands that change nothing (``list``,
``help``) are marked done when they have answered.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from bot.outbox.leases import Lease, Renewer
from bot.store.db import Database
from bot.store.models import ReceivedCommand, utcnow

# The command the current thread is running, if any: its change marks it done.
_current: ContextVar[int | None] = ContextVar("current_command", default=None)
# A command acknowledged this long ago without a lease is replayed by the sweep.
UNCLAIMED_GRACE = timedelta(seconds=10)
MAX_ATTEMPTS = 3  # a command that failed this often is not replayed again
COMMANDS = Lease(ReceivedCommand.lease_until, ReceivedCommand.lease_holder)
KEPT_FOR = timedelta(days=7)  # finished commands (and their response_urls) are then forgotten


class Journal:
    """Stores received commands in groups, before their acknowledgements.

    The commands that arrive together share one transaction: each listener waits for
    one commit instead of making its own round trips while the set-up work of earlier
    commands holds the cores. A command whose wait ends without a commit is taken
    back before it is stored when it can be, so "not stored" stays true.
    """

    BATCH = 100

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: queue.SimpleQueue[tuple[dict[str, Any], Future[int]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="commands", daemon=True)
        self._thread.start()

    def record(self, body: dict[str, Any], timeout: float = 2.0) -> int:
        """The stored command's ID; raises what the database raised, or TimeoutError."""
        stored: Future[int] = Future()
        self._queue.put((body, stored))
        try:
            return stored.result(timeout)
        except FutureTimeout:
            if stored.cancel():
                raise TimeoutError("the database did not store the command in time") from None
            return stored.result(0.5)  # already being committed: nearly there

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            live = [(b, f) for b, f in batch if f.set_running_or_notify_cancel()]
            try:
                with self._db.begin() as session:
                    rows = [ReceivedCommand(body=body) for body, _ in live]
                    session.add_all(rows)
                    session.flush()
                    ids = [row.id for row in rows]
            except Exception as exc:
                for _, stored in live:
                    stored.set_exception(exc)
                continue
            for (_, stored), command_id in zip(live, ids, strict=True):
                stored.set_result(command_id)


def claim(db: Database, command_id: int, holder: str) -> bool:
    now = utcnow()
    with db.begin() as session:
        return COMMANDS.claim(
            session,
            command_id,
            holder,
            now,
            ReceivedCommand.done_at.is_(None),
            ReceivedCommand.attempts < MAX_ATTEMPTS,
            attempts=ReceivedCommand.attempts + 1,
        )


def finish_current(session: Session) -> None:
    """Mark the running command done, in the caller's transaction (its change's)."""
    command_id = _current.get()
    if command_id is None:
        return
    session.execute(
        update(ReceivedCommand)
        .where(ReceivedCommand.id == command_id)
        .values(done_at=utcnow(), **COMMANDS.released())
        .execution_options(synchronize_session=False)
    )


def finish(db: Database, command_id: int) -> None:
    with db.begin() as session:
        session.execute(
            update(ReceivedCommand)
            .where(ReceivedCommand.id == command_id, ReceivedCommand.done_at.is_(None))
            .values(done_at=utcnow(), **COMMANDS.released())
            .execution_options(synchronize_session=False)
        )


@contextlib.contextmanager
def running(db: Database, renewer: Renewer, command_id: int, holder: str) -> Iterator[None]:
    """Run the body as the command ``command_id``: its lease kept, then done either way
    (a refusal or a failure is an answer too; only a crash leaves it to be replayed)."""
    token = _current.set(command_id)
    renewer.hold(command_id, holder)
    try:
        yield
    finally:
        renewer.release(command_id)
        _current.reset(token)
        finish(db, command_id)


def unfinished(db: Database, limit: int = 50) -> list[tuple[int, dict[str, Any], datetime]]:
    """Commands a dead process left: not done, lease lapsed (or never taken)."""
    now = utcnow()
    with db.begin() as session:
        rows = session.execute(
            select(ReceivedCommand.id, ReceivedCommand.body, ReceivedCommand.received_at)
            .where(ReceivedCommand.done_at.is_(None))
            .where(ReceivedCommand.attempts < MAX_ATTEMPTS)
            .where(
                or_(
                    ReceivedCommand.lease_until < now,
                    ReceivedCommand.lease_until.is_(None)
                    & (ReceivedCommand.received_at < now - UNCLAIMED_GRACE),
                )
            )
            .order_by(ReceivedCommand.id)
            .limit(limit)
        ).all()
    return [(row.id, dict(row.body), row.received_at) for row in rows]


def prune(db: Database, now: datetime | None = None) -> int:
    """Forget commands finished more than ``KEPT_FOR`` ago; returns how many."""
    cutoff = (now or utcnow()) - KEPT_FOR
    with db.begin() as session:
        gone = session.execute(
            delete(ReceivedCommand)
            .where(ReceivedCommand.done_at.is_not(None), ReceivedCommand.done_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        return int(gone.rowcount)  # type: ignore[attr-defined]
