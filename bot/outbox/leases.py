"""Leases: how durable work is claimed by one process at a time, and freed when it dies.

A claim stamps the row with a time; the claimer renews it while the work runs (a
Slack call may sleep out a long ``Retry-After``); another process may take the row
only once the stamp is older than the lease (20 s unless
``INCIDENTBOT_LEASE_SECONDS`` says otherwise). A process killed mid-work stops
renewing, and its work is free one lease later. The outbox's rows, received slash
commands, incident set-ups and alert prompts all follow these rules, each through a
``Lease`` naming its table's columns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Update, or_, update
from sqlalchemy.orm import Session

from bot.store.db import Database
from bot.store.models import utcnow

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=20)
_length = DEFAULT_LEASE  # a stopped process's work is free this long after (every replica alike)


def lease_length() -> timedelta:
    return _length


def set_lease_length(length: timedelta) -> None:
    """Set at start-up from ``INCIDENTBOT_LEASE_SECONDS``; every replica must use the same."""
    global _length
    _length = length


def renew_every() -> float:
    """Seconds between renewals: a quarter of the lease, so two can be missed."""
    return _length.total_seconds() / 4


Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Lease:
    """The lease columns of one table: ``until`` (when the lease ends) and ``holder``
    (which process holds it). A table without a holder column keeps, in ``until``, when
    the row was taken (``stamped``): it is free one lease after that."""

    until: Any
    holder: Any = None
    stamped: bool = False

    @property
    def table(self) -> Any:
        return self.until.class_

    def free(self, now: datetime) -> ColumnElement[bool]:
        """Rows nobody holds, or whose holder stopped renewing."""
        lapsed = now - _length if self.stamped else now
        return or_(self.until.is_(None), self.until < lapsed)

    def taken(self, holder: str, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {self.until.key: now if self.stamped else now + _length}
        if self.holder is not None:
            values[self.holder.key] = holder
        return values

    def released(self) -> dict[str, Any]:
        values: dict[str, Any] = {self.until.key: None}
        if self.holder is not None:
            values[self.holder.key] = None
        return values

    def claim(
        self,
        session: Session,
        row_id: int,
        holder: str,
        now: datetime,
        *where: Any,
        **also: Any,
    ) -> bool:
        """Take row ``row_id`` if it is free and ``where`` holds, in one conditional
        update (of two processes racing, one wins); ``also`` are more values to set."""
        taken = session.execute(
            update(self.table)
            .where(self.table.id == row_id, self.free(now), *where)
            .values(**self.taken(holder, now), **also)
            .execution_options(synchronize_session=False)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]

    def renewal(self, row_id: int, holder: str, now: datetime) -> Update:
        """The statement that extends ``holder``'s lease of row ``row_id``."""
        held = self.until.is_not(None) if self.holder is None else self.holder == holder
        return (
            update(self.table)
            .where(self.table.id == row_id, held)
            .values({self.until.key: now if self.stamped else now + _length})
            .execution_options(synchronize_session=False)
        )


class Renewer:
    """One thread that keeps this process's leases of one kind alive while work runs."""

    def __init__(self, db: Database, lease: Lease, clock: Clock = utcnow) -> None:
        self._db, self._renewal, self._clock = db, lease.renewal, clock
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
            threading.Event().wait(renew_every())
            try:
                self.renew()
            except Exception:
                log.exception("renewing leases failed; trying again")

    def renew(self) -> None:
        """Extend every lease held now by the lease's length from now."""
        with self._lock:
            held = dict(self._held)
        if not held:
            return
        now = self._clock()
        with self._db.begin() as session:
            for row_id, holder in held.items():
                session.execute(self._renewal(row_id, holder, now))
