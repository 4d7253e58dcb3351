"""The alert intake: deliveries are stored at once and applied by one thread, in order.

A request only commits the raw body (``submit``), so its 2xx never waits on
deduplication or incidents, and a storm is absorbed at the speed of one
insert. The intake thread applies what is queued in arrival order, up to
``BATCH`` deliveries per transaction: one commit for a burst, and no two
threads of this process racing for one group. Deliveries a crash left
unapplied are queued again at start-up and by the sweep.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from datetime import timedelta

from bot.alerts import ingest
from bot.alerts.accepted_sources import PARSERS
from bot.alerts.ingest import Disposition, Item, Reporter
from bot.alerts.normalized import AlertBatch, PayloadError
from bot.alerts.policy import AlertPolicy
from bot.store.db import Database

log = logging.getLogger(__name__)

BATCH = 50
# A transaction of the intake stops taking deliveries after this long (seconds),
# so a request waiting to store its own never waits long for the write lock.
BUDGET = 0.01


class AlertIntake:
    def __init__(
        self,
        db: Database,
        policy: AlertPolicy,
        broadcast: str | None,
        report: Reporter,
        after: Callable[[Disposition], None],
    ) -> None:
        self._db = db
        self._policy = policy
        self._broadcast = broadcast
        self._report = report
        self._after = after
        self._queue: queue.Queue[Item | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, source: str, body: str, batch: AlertBatch) -> int:
        """Commit the delivery and queue it; returns its id. Raises if it could not be stored."""
        delivery_id = ingest.store(self._db, source, body)
        self._queue.put((delivery_id, batch))
        return delivery_id

    def recover(self, older_than: timedelta = ingest.SWEEP_AFTER) -> int:
        """Queue deliveries stored earlier but never applied; returns how many."""
        found = ingest.pending(self._db, older_than)
        for delivery_id, source, body in found:
            try:
                self._queue.put((delivery_id, PARSERS[source](json.loads(body))))
            except (KeyError, ValueError, PayloadError) as exc:
                ingest.note_failure(self._db, delivery_id, f"unreadable: {exc}")
        return len(found)

    def start(self) -> None:
        """Queue what a previous run left behind, then start applying."""
        recovered = self.recover(older_than=timedelta(0))
        if recovered:
            log.info("re-queued %d alert delivery(ies) left unapplied", recovered)
        self._thread = threading.Thread(target=self._run, name="alert-intake", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Apply everything already accepted, then stop."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        waiting: list[Item] = []
        stopping = False
        while waiting or not stopping:
            if not waiting:
                first = self._queue.get()
                if first is None:
                    return
                waiting.append(first)
            while len(waiting) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                waiting.append(more)
            try:
                outcomes = self._apply(waiting)
                done = max(1, len(outcomes))
                for outcome in outcomes:
                    self._hand_on(outcome)
            except Exception:
                log.exception("the alert intake failed on %d delivery(ies)", len(waiting))
                done = len(waiting)  # stored: the sweep applies them later
            del waiting[:done]

    def _apply(self, items: list[Item]) -> list[Disposition]:
        """Apply a prefix of ``items`` together, or, if that fails, each on its own."""
        try:
            return ingest.process_many(
                self._db, items, self._policy, self._broadcast, self._report, budget=BUDGET
            )
        except Exception as exc:
            # One of them (or a race with another process) spoiled the batch:
            # apply each on its own so the rest still go through.
            log.info("applying %d deliveries together failed (%s); one by one", len(items), exc)
        outcomes = []
        for delivery_id, batch in items:
            try:
                outcomes.append(
                    ingest.process(
                        self._db, delivery_id, batch, self._policy, self._broadcast, self._report
                    )
                )
            except Exception as exc:
                log.exception(
                    "alert delivery %s could not be applied; the sweep retries", delivery_id
                )
                ingest.note_failure(self._db, delivery_id, f"{type(exc).__name__}: {exc}")
                outcomes.append(Disposition(delivery_id, "failed"))
        return outcomes

    def _hand_on(self, outcome: Disposition) -> None:
        try:
            self._after(outcome)
        except Exception:
            log.exception("queueing Slack work for alert delivery %s failed", outcome.delivery_id)
