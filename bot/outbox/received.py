"""Requests from Slack kept until they are done: what an acknowledgement promises is
stored before it is sent.

Every slash command, click, form submission, shortcut and event is stored (one insert,
committed together with the others arriving at the same moment) before its listener
acknowledges it. The work the listener hands to the background pool runs *as* that
request: claimed under a lease (renewed while it runs), and marked done in the same
transaction as the change it asks for (``finish_current``, called by the flows' unit of
work) or, failing that, when it ends either way. So after a crash a request is either
done, and never run again, or not, and the sweep dispatches it again once its lease has
lapsed. A request whose listener handed nothing on (a refusal, ``help``, a click that
opens a form) is done once it has answered.

The same insert refuses replays: the keys of every request (its Slack signature; an
event's ID, which Slack's retries keep) are stored under a unique key for as long as
Slack could send them again, so a captured request replayed to any replica is refused
by all of them.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select, update
from sqlalchemy.orm import Session

from bot.outbox.leases import Lease, Renewer
from bot.store.db import Database, insert_new, writes_first
from bot.store.models import ReceivedRequest, SeenRequest, utcnow

log = logging.getLogger(__name__)

# The request the current worker thread is running, if any: its change marks it done.
_current: ContextVar[int | None] = ContextVar("current_request", default=None)
# A request acknowledged this long ago without a lease is dispatched again by the sweep.
UNCLAIMED_GRACE = timedelta(seconds=10)
MAX_ATTEMPTS = 3  # a request that failed this often is not dispatched again
REQUESTS = Lease(ReceivedRequest.lease_until, ReceivedRequest.lease_holder)


class Seen(Exception):
    """This request (or one with the same key) was received before: it does nothing now."""


@dataclass(frozen=True)
class Arrival:
    """A request to keep: its kind, the body as Bolt parsed it, and the keys that make it
    the same request if it comes again, each with when Slack stops sending it."""

    kind: str
    body: dict[str, Any]
    keys: tuple[tuple[str, datetime], ...] = ()


class Journal:
    """Stores received requests in groups, before their acknowledgements.

    The requests that arrive together share one transaction: each listener waits for
    one commit instead of making its own round trips while the work of earlier requests
    holds the cores. A request whose wait ends without a commit is taken back before it
    is stored when it can be, so "not stored" stays true. Requests found done without
    work (``finish_soon``) are marked in the next group's transaction.
    """

    BATCH = 100

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: queue.SimpleQueue[tuple[Arrival, Future[int]] | int | Future[None]] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name="journal", daemon=True)
        self._thread.start()

    def record(self, arrival: Arrival, timeout: float = 2.0) -> int:
        """The stored request's ID; raises Seen for a replay, what the database raised,
        or TimeoutError."""
        stored: Future[int] = Future()
        self._queue.put((arrival, stored))
        try:
            return stored.result(timeout)
        except FutureTimeout:
            if stored.cancel():
                raise TimeoutError("the database did not store the request in time") from None
            return stored.result(0.5)  # already being committed: nearly there

    def finish_soon(self, request_id: int) -> None:
        """Mark a request done with the next group (its listener answered and handed
        nothing on); a crash before that only dispatches it again, to the same answer."""
        self._queue.put(request_id)

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until everything queued before this call has been committed (or failed)."""
        settled: Future[None] = Future()
        self._queue.put(settled)
        settled.result(timeout)

    def _run(self) -> None:
        with writes_first():  # a sender waits on these: they go before the work after
            self._store_forever()

    def _store_forever(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < self.BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            finished = [item for item in items if isinstance(item, int)]
            waiting = [item for item in items if isinstance(item, Future)]
            live = [
                item
                for item in items
                if isinstance(item, tuple) and item[1].set_running_or_notify_cancel()
            ]
            try:
                with self._db.begin() as session:
                    outcomes = _store(session, [arrival for arrival, _ in live])
                    if finished:
                        _mark_done(session, finished)
            except Exception as exc:
                for _, stored in live:
                    stored.set_exception(exc)
                if finished:
                    log.warning(
                        "could not mark %d answered request(s) done: %s", len(finished), exc
                    )
                for settled in waiting:
                    settled.set_result(None)
                continue
            for settled in waiting:
                settled.set_result(None)
            for (_, stored), outcome in zip(live, outcomes, strict=True):
                if outcome is None:
                    stored.set_exception(Seen("this request was received before"))
                else:
                    stored.set_result(outcome)


def _store(session: Session, arrivals: list[Arrival]) -> list[int | None]:
    """Insert the arrivals not seen before; each one's ID, or None for a replay."""
    wanted: dict[str, datetime] = {}
    for arrival in arrivals:
        for key, expires in arrival.keys:
            wanted.setdefault(key, expires)
    fresh = insert_new(
        session,
        SeenRequest,
        "key",
        [{"key": key, "expires_at": expires} for key, expires in wanted.items()],
    )
    kept: list[Arrival | None] = []
    for arrival in arrivals:
        keys = [key for key, _ in arrival.keys]
        if all(key in fresh for key in keys):
            fresh.difference_update(keys)  # a second copy in this very group is a replay
            kept.append(arrival)
        else:
            kept.append(None)
    stored = [arrival for arrival in kept if arrival is not None]
    if not stored:
        return [None] * len(kept)
    # One statement for the group, its IDs returned in the order given (Core, not the ORM:
    # a sender waits on this).
    now = utcnow()
    table = cast(Table, ReceivedRequest.__table__)
    ids = iter(
        session.connection()
        .execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [{"kind": a.kind, "body": a.body, "received_at": now, "attempts": 0} for a in stored],
        )
        .scalars()
        .all()
    )
    return [next(ids) if arrival is not None else None for arrival in kept]


def _mark_done(session: Session, request_ids: list[int]) -> None:
    session.execute(
        update(ReceivedRequest)
        .where(ReceivedRequest.id.in_(request_ids), ReceivedRequest.done_at.is_(None))
        .values(done_at=utcnow(), **REQUESTS.released())
        .execution_options(synchronize_session=False)
    )


# -- running a request's work -------------------------------------------------------------


@dataclass
class Receiving:
    """The request a listener is answering, on the thread that dispatches it: the first
    work the listener hands to the background pool runs as this request (``adopt``)."""

    id: int
    received_at: datetime
    wrap: Callable[[Callable[[], None]], Callable[[], None]]
    handed_on: bool = field(default=False)
    again: bool = field(default=False)  # dispatched again: its first answer left long ago
    put_off: bool = field(default=False)  # the listener could not take it now

    @property
    def finished_unanswered(self) -> bool:
        """Whether the request is done although no work was handed on: yes, unless it is
        being dispatched again and the listener put it off (its person was told long ago
        that it would be done, and a later sweep must try again)."""
        return not self.handed_on and not (self.again and self.put_off)


_receiving: ContextVar[Receiving | None] = ContextVar("receiving", default=None)


@contextlib.contextmanager
def answering(receiving: Receiving) -> Iterator[Receiving]:
    token = _receiving.set(receiving)
    try:
        yield receiving
    finally:
        _receiving.reset(token)


def put_off() -> None:
    """The listener answering on this thread cannot take its request now (the pool is
    full). A new request's person is told so and may try again; one dispatched again is
    left unfinished for a later sweep."""
    receiving = _receiving.get()
    if receiving is not None:
        receiving.put_off = True


def adopt(call: Callable[[], None]) -> Callable[[], None]:
    """``call``, made to run as the request being answered on this thread, if there is
    one and its work was not handed on already; otherwise ``call`` as it is."""
    receiving = _receiving.get()
    if receiving is None or receiving.handed_on:
        return call
    receiving.handed_on = True
    return receiving.wrap(call)


def received_at() -> datetime | None:
    """When the request being answered on this thread first arrived (a dispatch again
    after a crash answers late, and says so the way late answers go)."""
    receiving = _receiving.get()
    return receiving.received_at if receiving is not None else None


def run_as(
    db: Database, renewer: Renewer, request_id: int, holder: str, call: Callable[[], None]
) -> None:
    """Run ``call`` as the request, unless another process already took it."""
    if not claim(db, request_id, holder):
        return
    with running(db, renewer, request_id, holder):
        call()


def claim(db: Database, request_id: int, holder: str) -> bool:
    now = utcnow()
    with db.begin() as session:
        return REQUESTS.claim(
            session,
            request_id,
            holder,
            now,
            ReceivedRequest.done_at.is_(None),
            ReceivedRequest.attempts < MAX_ATTEMPTS,
            attempts=ReceivedRequest.attempts + 1,
        )


def finish_current(session: Session) -> None:
    """Mark the running request done, in the caller's transaction (its change's)."""
    request_id = _current.get()
    if request_id is None:
        return
    _mark_done(session, [request_id])


def finish(db: Database, request_id: int) -> None:
    with db.begin() as session:
        _mark_done(session, [request_id])


@contextlib.contextmanager
def running(db: Database, renewer: Renewer, request_id: int, holder: str) -> Iterator[None]:
    """Run the body as the request ``request_id``: its lease kept, then done either way
    (a refusal or a failure is an answer too; only a crash leaves it to be dispatched
    again)."""
    token = _current.set(request_id)
    renewer.hold(request_id, holder)
    try:
        yield
    finally:
        renewer.release(request_id)
        _current.reset(token)
        finish(db, request_id)


@dataclass(frozen=True)
class Unfinished:
    id: int
    kind: str
    body: dict[str, Any]
    received_at: datetime


def unfinished(db: Database, limit: int = 50) -> list[Unfinished]:
    """Requests a dead process left: not done, lease lapsed (or never taken)."""
    now = utcnow()
    with db.begin() as session:
        rows = session.execute(
            select(
                ReceivedRequest.id,
                ReceivedRequest.kind,
                ReceivedRequest.body,
                ReceivedRequest.received_at,
            )
            .where(ReceivedRequest.done_at.is_(None))
            .where(ReceivedRequest.attempts < MAX_ATTEMPTS)
            .where(
                or_(
                    ReceivedRequest.lease_until < now,
                    ReceivedRequest.lease_until.is_(None)
                    & (ReceivedRequest.received_at < now - UNCLAIMED_GRACE),
                )
            )
            .order_by(ReceivedRequest.id)
            .limit(limit)
        ).all()
    return [Unfinished(row.id, row.kind, dict(row.body), row.received_at) for row in rows]
