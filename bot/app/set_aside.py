"""Stored deliveries that failed until they were set aside: alerts, PagerDuty's webhook
deliveries and Slack requests. Each was tried a few times and then left for a person,
so that it never held back the ones after it. ``incidentbot outbox --dead`` lists them
beside the dead outbox work, and ``outbox retry`` / ``outbox drop`` take their
references (``alert:12``, ``pagerduty:3``, ``slack:40``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.alerts.group_lifecycle import source_name
from bot.alerts.ingest import GIVE_UP_AFTER
from bot.outbox.received import MAX_ATTEMPTS as REQUEST_ATTEMPTS
from bot.store.db import Database
from bot.store.models import AlertDelivery, PagerDelivery, ReceivedRequest, utcnow

KINDS = ("alert", "pagerduty", "slack")
_REFERENCE = re.compile(r"^(alert|pagerduty|slack):([0-9]{1,12})$")


@dataclass(frozen=True)
class SetAside:
    reference: str  # alert:12
    what: str  # "an Alertmanager delivery", "a PagerDuty delivery", "a Slack command"
    attempts: int
    received_at: datetime
    error: str | None


def is_reference(text: str) -> bool:
    return _REFERENCE.match(text) is not None


def listing(db: Database, limit: int = 200) -> list[SetAside]:
    """Every delivery set aside, oldest first."""
    with db.begin() as session:
        alerts = session.scalars(
            select(AlertDelivery)
            .where(AlertDelivery.processed_at.is_(None), AlertDelivery.attempts >= GIVE_UP_AFTER)
            .limit(limit)
        )
        found = [
            SetAside(
                f"alert:{a.id}",
                f"an alert from {source_name(a.source)}",
                a.attempts,
                a.received_at,
                a.last_error,
            )
            for a in alerts
        ]
        pager = session.scalars(
            select(PagerDelivery)
            .where(PagerDelivery.processed_at.is_(None), PagerDelivery.dead_at.is_not(None))
            .limit(limit)
        )
        found += [
            SetAside(
                f"pagerduty:{p.id}", "a PagerDuty delivery", p.attempts, p.received_at, p.last_error
            )
            for p in pager
        ]
        requests = session.scalars(
            select(ReceivedRequest)
            .where(ReceivedRequest.done_at.is_(None), ReceivedRequest.attempts >= REQUEST_ATTEMPTS)
            .limit(limit)
        )
        found += [
            SetAside(
                f"slack:{r.id}",
                f"a Slack {r.kind}",
                r.attempts,
                r.received_at,
                "the process running it stopped, each time",
            )
            for r in requests
        ]
    return sorted(found, key=lambda row: row.received_at)[:limit]


def retry(db: Database, reference: str) -> bool:
    """Owe a set-aside delivery again: the next sweep (within 10 s) tries it once more."""
    return _change(db, reference, again=True)


def drop(db: Database, reference: str) -> bool:
    """Give up a set-aside delivery for good; it stays stored, marked as dropped."""
    return _change(db, reference, again=False)


def _change(db: Database, reference: str, *, again: bool) -> bool:
    match = _REFERENCE.match(reference)
    if match is None:
        return False
    kind, row_id = match.group(1), int(match.group(2))
    with db.begin() as session:
        return _changed(session, kind, row_id, again)


def _changed(session: Session, kind: str, row_id: int, again: bool) -> bool:
    now = utcnow()
    values: dict[str, Any]
    table: type[AlertDelivery] | type[PagerDelivery] | type[ReceivedRequest]
    if kind == "alert":
        table, condition = (
            AlertDelivery,
            [
                AlertDelivery.id == row_id,
                AlertDelivery.processed_at.is_(None),
                AlertDelivery.attempts >= GIVE_UP_AFTER,
            ],
        )
        values = {"attempts": 0} if again else {"processed_at": now, "outcome": "dropped"}
    elif kind == "pagerduty":
        table, condition = (
            PagerDelivery,
            [
                PagerDelivery.id == row_id,
                PagerDelivery.processed_at.is_(None),
                PagerDelivery.dead_at.is_not(None),
            ],
        )
        values = (
            {"attempts": 0, "dead_at": None}
            if again
            else {"processed_at": now, "outcome": "dropped by an operator"}
        )
    else:
        table, condition = (
            ReceivedRequest,
            [
                ReceivedRequest.id == row_id,
                ReceivedRequest.done_at.is_(None),
                ReceivedRequest.attempts >= REQUEST_ATTEMPTS,
            ],
        )
        values = {"attempts": 0, "lease_until": None} if again else {"done_at": now}
    changed = session.execute(
        update(table)
        .where(*condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]
