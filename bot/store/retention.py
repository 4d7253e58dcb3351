"""What is forgotten, and when: the bulk the bot keeps only to do its work.

Delivered alert bodies, finished outbox work (posted messages, uploaded charts),
answered requests from Slack and processed pager webhook deliveries are deleted once
they are older than the retention setting (``INCIDENTBOT_RETENTION``, 30 days unless
set). Incidents, their timelines, alert groups and records, pages and dead outbox
work (an operator has yet to look at it) are kept. The keys of requests seen are
deleted as soon as Slack can no longer send them again.

Deletion goes in small batches, each its own transaction, so it never holds locks
long; replicas running it at once skip the rows another is deleting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, select

from bot.store.db import Database
from bot.store.models import (
    AlertDelivery,
    ConsoleSession,
    PagerDelivery,
    ReceivedRequest,
    SeenRequest,
    SlackEffect,
    utcnow,
)

BATCH = 500
MAX_BATCHES = 20  # per table per run: a long backlog is worked off over several runs


@dataclass(frozen=True)
class _Kept:
    """Rows of ``key``'s table whose ``stamp`` is older than the retention (``expires``:
    older than now, the stamp being when the row stops being needed)."""

    name: str
    key: Any
    stamp: Any
    expires: bool = False

    @property
    def table(self) -> Any:
        return self.key.class_

    def old(self, cutoff: datetime, now: datetime) -> ColumnElement[bool]:
        return self.stamp < (now if self.expires else cutoff)  # type: ignore[no-any-return]


_KEPT = (
    _Kept("alert deliveries", AlertDelivery.id, AlertDelivery.processed_at),
    _Kept("finished outbox work", SlackEffect.id, SlackEffect.done_at),
    _Kept("answered requests", ReceivedRequest.id, ReceivedRequest.done_at),
    _Kept("pager webhook deliveries", PagerDelivery.id, PagerDelivery.processed_at),
    _Kept("keys of requests seen", SeenRequest.key, SeenRequest.expires_at, expires=True),
    _Kept("console sign-ins", ConsoleSession.id, ConsoleSession.started_at),
)


def prune(db: Database, keep: timedelta, now: datetime | None = None) -> dict[str, int]:
    """Delete what is older than ``keep``; returns how many rows went, by what they were."""
    now = now or utcnow()
    cutoff = now - keep
    gone: dict[str, int] = {}
    for kept in _KEPT:
        condition = kept.old(cutoff, now)
        total = 0
        for _ in range(MAX_BATCHES):
            deleted = _delete_batch(db, kept, condition)
            total += deleted
            if deleted < BATCH:
                break
        if total:
            gone[kept.name] = total
    return gone


def _delete_batch(db: Database, kept: _Kept, condition: ColumnElement[bool]) -> int:
    with db.begin() as session:
        # SKIP LOCKED (PostgreSQL): rows another replica is deleting are left to it.
        keys = list(
            session.scalars(
                select(kept.key).where(condition).limit(BATCH).with_for_update(skip_locked=True)
            )
        )
        if not keys:
            return 0
        session.execute(
            delete(kept.table)
            .where(kept.key.in_(keys))
            .execution_options(synchronize_session=False)
        )
        return len(keys)
