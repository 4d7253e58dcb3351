"""Work that runs after Slack has its acknowledgement.

Listeners acknowledge inside Slack's 3 seconds and hand everything else (the
database, Slack calls) to this pool. It is bounded, so a burst of commands
queues here instead of crowding out the acknowledgements of the next ones, and
it drains on shutdown, so work already acknowledged is finished, not dropped.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bot.outbox import received
from bot.store import precedence

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """The heavy queue holds as much as it may; ``ahead`` are running or waiting."""

    def __init__(self, ahead: int) -> None:
        super().__init__(f"{ahead} ahead")
        self.ahead = ahead


class Background:
    def __init__(self, workers: int = 4, room: int = 200) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="work", initializer=precedence.defer
        )
        # Opening a modal must happen within 3 s of the click (trigger_id expiry), so it
        # never waits behind slow work in the main pool.
        self._urgent = ThreadPoolExecutor(max_workers=2, thread_name_prefix="urgent")
        # Long computations (a drift analysis of millions of rows) take turns here, so they
        # neither compete for the cores with each other nor hold up commands.
        self._heavy = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="heavy", initializer=precedence.defer
        )
        # Pages go out beside channel set-ups, never behind them nor in the way of forms:
        # the on-call is woken as soon as the channel they are pointed to exists.
        self._paging = ThreadPoolExecutor(max_workers=2, thread_name_prefix="paging")
        self._heavy_pending = 0  # running or waiting in the heavy pool
        self._pending = 0  # running or waiting in the main pool
        self._room = room
        self._queued: set[Hashable] = set()
        self._queued_lock = threading.Lock()
        self._timers: set[threading.Timer] = set()
        self._closed = False

    def has_room(self) -> bool:
        """Whether new work from people is taken now (their commands are refused
        with a word to try again shortly when it is not)."""
        with self._queued_lock:
            return self._pending < self._room

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Queue ``fn(*args)``. Handed on by a listener, it runs as the request the
        listener answers (``bot.outbox.received``): once, and again after a crash."""
        call = received.adopt(functools.partial(fn, *args))
        with self._queued_lock:
            self._pending += 1
        return self._track(self._pool.submit(self._counted("_pending", call)))

    def _counted(self, counter: str, fn: Callable[..., Any], *args: Any) -> Callable[[], None]:
        """``fn(*args)``, taking one off the ``counter`` attribute when it is over."""

        def run() -> None:
            try:
                precedence.give_way()
                fn(*args)
            finally:
                with self._queued_lock:
                    setattr(self, counter, getattr(self, counter) - 1)

        return run

    def submit_once(
        self, key: Hashable, fn: Callable[..., Any], *args: Any, delay: float = 0.0
    ) -> None:
        """Submit, ``delay`` seconds from now, unless work under ``key`` is already waiting.

        For work that reads the latest state when it runs (draining an
        incident's outbox, redrawing a prompt): a storm of requests for it
        collapses into one run per ``delay``, plus one for what arrives while
        it runs. The work must be durable elsewhere (the outbox, the sweep):
        a run still waiting at shutdown is dropped.
        """
        with self._queued_lock:
            if key in self._queued or self._closed:
                return
            self._queued.add(key)

        def run() -> None:
            with self._queued_lock:
                self._queued.discard(key)
            fn(*args)

        if delay <= 0:
            self.submit(run)
            return
        timer = threading.Timer(delay, self._submit_timer, args=(run,))
        timer.daemon = True
        with self._queued_lock:
            self._timers.add(timer)
        timer.start()

    def _submit_timer(self, run: Callable[[], None]) -> None:
        with self._queued_lock:
            self._timers = {
                t for t in self._timers if t.is_alive() and t is not threading.current_thread()
            }
            if self._closed:
                return
        self.submit(run)

    def submit_urgent(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """For calls bound to a trigger_id (views.open), which expires in 3 seconds."""
        return self._track(self._urgent.submit(fn, *args))

    def submit_paging(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """For sending a page (an HTTP call to the pager) as soon as it is owed."""
        return self._track(self._paging.submit(fn, *args))

    def submit_heavy(self, fn: Callable[..., Any], *args: Any, waiting: int) -> int:
        """Queue a long computation behind at most ``waiting`` others that wait; returns
        how many are ahead of it (the running one included), or raises QueueFull."""
        with self._queued_lock:
            ahead = self._heavy_pending
            if ahead > waiting:
                raise QueueFull(ahead)
            self._heavy_pending += 1
        self._track(self._heavy.submit(self._counted("_heavy_pending", fn, *args)))
        return ahead

    @staticmethod
    def _track(future: Future[Any]) -> Future[Any]:
        future.add_done_callback(_log_failure)
        return future

    def shutdown(self) -> None:
        with self._queued_lock:
            self._closed = True
            for timer in self._timers:
                timer.cancel()
        self._urgent.shutdown(wait=True)
        self._paging.shutdown(wait=True)
        self._pool.shutdown(wait=True)
        self._heavy.shutdown(wait=True)


def _log_failure(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        log.error("background work failed", exc_info=error)
