"""Requests someone waits on go before background work, in this process.

Slack gives 3 seconds to acknowledge, and the benchmark's goal is far below that; but
the acknowledgement of a burst's last command waits for the interpreter's lock behind
every background thread busy with the burst's first ones (setting up channels, calling
Slack). So the web layer counts the requests it is answering (:func:`answering`), and a
thread of the background pools (marked with :func:`defer`) gives way at its next step
(:func:`give_way`: a task's start, a database transaction's start) while any are in
flight, for at most :data:`LONGEST` at a time, so that background work is slowed by a
burst, never stopped by a stream. A thread inside a transaction never waits
(:func:`transaction`): it may hold the write lock the requests' journal needs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

LONGEST = 0.25  # seconds one step of background work may wait for answers in flight

_changed = threading.Condition(threading.Lock())
_in_flight = 0
_mine = threading.local()


@contextmanager
def answering() -> Iterator[None]:
    """Count a request whose sender waits for the answer while it is being answered."""
    global _in_flight
    with _changed:
        _in_flight += 1
    try:
        yield
    finally:
        with _changed:
            _in_flight -= 1
            if not _in_flight:
                _changed.notify_all()


def defer() -> None:
    """Mark the calling thread as background work that gives way to answers."""
    _mine.defers = True


def give_way() -> None:
    """In a marked thread outside any transaction, wait (at most :data:`LONGEST`) while
    answers are in flight."""
    inside: int = getattr(_mine, "depth", 0)
    if not getattr(_mine, "defers", False) or inside or not _in_flight:
        return
    with _changed:
        _changed.wait_for(lambda: not _in_flight, LONGEST)


@contextmanager
def transaction() -> Iterator[None]:
    """A database transaction's span: it gives way before it starts, never inside (a
    transaction opened within another would otherwise wait holding the first's locks)."""
    give_way()
    _mine.depth = getattr(_mine, "depth", 0) + 1
    try:
        yield
    finally:
        _mine.depth -= 1
