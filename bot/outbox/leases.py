"""Leases: how durable work is claimed by one process at a time, and freed when it dies.

A claim stamps the row with a time; the claimer renews it while the work runs (a
Slack call may sleep out a long ``Retry-After``); another process may take the row
only once the stamp is older than ``LEASE``. A process killed mid-work stops
renewing, and its work is free ``LEASE`` later. The outbox's rows, received slash
commands and incident set-ups all follow these rules.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, update

from bot.store.db import Database
from bot.store.models import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=20)  # a stopped process's work is free this long after
RENEW_EVERY = 5.0  # seconds

Clock = Callable[[], datetime]
# (row id, holder, now) -> the statement that extends that row's lease
Renewal = Callable[[int, str, datetime], Update]


def lease_renewal(table: Any) -> Renewal:
    """For tables with ``lease_until`` and ``lease_holder``."""
    return lambda row_id, holder, now: (
        update(table)
        .where(table.id == row_id, table.lease_holder == holder)
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )


class Renewer:
    """One thread that keeps this process's leases of one kind alive while work runs."""

    def __init__(self, db: Database, renewal: Renewal, clock: Clock = utcnow) -> None:
        self._db, self._renewal, self._clock = db, renewal, clock
        self._held: dict[int, str] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def hold(self, row_id: int, holder: str) -> None:
        with self._lock:
            self._held[row_id] = holder
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="leases", daemon=True)
                self._thread.start()

    def release(self, row_id: int) -> None:
        with self._lock:
            self._held.pop(row_id, None)

    def _run(self) -> None:
        while True:
            threading.Event().wait(RENEW_EVERY)
            try:
                self.renew()
            except Exception:
                log.exception("renewing leases failed; trying again")

    def renew(self) -> None:
        """Extend every lease held now by ``LEASE`` from now."""
        with self._lock:
            held = dict(self._held)
        if not held:
            return
        now = self._clock()
        with self._db.begin() as session:
            for row_id, holder in held.items():
                session.execute(self._renewal(row_id, holder, now))
