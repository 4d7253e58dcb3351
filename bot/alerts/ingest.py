"""Accepting alerts: store the raw delivery, then deduplicate and decide.

``store`` commits the raw body before the sender hears 2xx. ``process`` then
applies it in one transaction: it finds or opens the group for the batch's
dedup key (the unique ``active_key`` lets one group exist per key however
many deliveries race), records each alert by fingerprint, and declares, asks,
adds to the timeline or absorbs a repeat. What Slack must show is handed to a
``Reporter`` inside that same transaction, so it is never lost either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.alerts import groups, timeline_lines
from bot.alerts.normalized import Alert, AlertBatch
from bot.alerts.policy import AlertPolicy
from bot.db import Database
from bot.models import AlertDelivery, AlertGroup, AlertRecord, Incident, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A delivery still unprocessed after this is presumed interrupted and retried by the sweep.
SWEEP_AFTER = timedelta(seconds=60)


@dataclass
class Change:
    """What a delivery did to a group, for the Slack side to show."""

    group: AlertGroup
    incident: Incident | None
    new_incident: bool = False
    joined: list[Alert] = field(default_factory=list)
    refired: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)
    still_firing: int = 0

    @property
    def all_resolved(self) -> bool:
        return bool(self.resolved) and self.still_firing == 0


Reporter = Callable[[Session, Change], None]


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    result: str  # declared, asked, joined, resolved, repeat, ignored, duplicate
    group_id: int | None = None
    incident_id: int | None = None
    new_incident: bool = False
    prompt_due: bool = False


def store(db: Database, source: str, body: str) -> int:
    """Commit the raw delivery; only then may the sender be told it was accepted."""
    with db.begin() as session:
        delivery = AlertDelivery(source=source, body=body)
        session.add(delivery)
        session.flush()
        return delivery.id


def process(
    db: Database,
    delivery_id: int,
    batch: AlertBatch,
    policy: AlertPolicy,
    broadcast: str | None,
    report: Reporter,
) -> Outcome:
    """Apply one stored delivery, retrying when a concurrent delivery of its group wins a race."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            with db.begin() as session:
                return _process(session, delivery_id, batch, policy, broadcast, report)
        except IntegrityError:
            # Another delivery opened this group or recorded this alert first:
            # run again against its committed state.
            log.debug("delivery %s lost a race (attempt %s); retrying", delivery_id, attempt + 1)
    raise RuntimeError(f"alert delivery {delivery_id} kept colliding; the sweep will retry it")


def _process(
    session: Session,
    delivery_id: int,
    batch: AlertBatch,
    policy: AlertPolicy,
    broadcast: str | None,
    report: Reporter,
) -> Outcome:
    now = utcnow()
    # Claiming the delivery is the first write: on SQLite it takes the write
    # lock, so everything after it reads committed, current state.
    claimed = session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == delivery_id, AlertDelivery.processed_at.is_(None))
        .values(attempts=AlertDelivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return Outcome(delivery_id, "duplicate")
    group = groups.live_group(session, batch.dedup_hash, now)
    firing = [alert for alert in batch.alerts if alert.firing]
    if group is None:
        if not firing:
            return _finish(session, delivery_id, Outcome(delivery_id, "ignored"), None, now)
        return _open(session, delivery_id, batch, firing, policy, broadcast, report, now)
    return _update(session, delivery_id, group, batch, report, now)


def _open(
    session: Session,
    delivery_id: int,
    batch: AlertBatch,
    firing: Sequence[Alert],
    policy: AlertPolicy,
    broadcast: str | None,
    report: Reporter,
    now: datetime,
) -> Outcome:
    group = groups.new_group(batch, firing, policy, now)
    asks = policy.mode_for(batch.route) == "ask" and broadcast is not None
    group.decision = "pending" if asks else "declared"
    group.prompt_channel = broadcast if asks else None
    session.add(group)
    session.flush()  # the unique active_key: a concurrent opener fails here and retries
    _add_records(session, group, batch.alerts, now)
    if asks:
        outcome = Outcome(delivery_id, "asked", group.id, prompt_due=True)
        return _finish(session, delivery_id, outcome, group, now)
    incident = groups.declare_from(session, group, actor=None, now=now)
    report(session, Change(group, incident, new_incident=True, still_firing=len(firing)))
    outcome = Outcome(delivery_id, "declared", group.id, incident.id, new_incident=True)
    return _finish(session, delivery_id, outcome, group, now)


def _add_records(
    session: Session, group: AlertGroup, alerts: Sequence[Alert], now: datetime
) -> None:
    session.add_all(
        AlertRecord(
            group_id=group.id,
            fingerprint=alert.fingerprint,
            name=alert.name,
            status=alert.status,
            labels=alert.labels,
            annotations=alert.annotations,
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
            first_seen_at=now,
            last_seen_at=now,
        )
        for alert in _unique(alerts)
    )
    session.flush()


def _unique(alerts: Sequence[Alert]) -> list[Alert]:
    """One alert per fingerprint: the last word in a batch wins."""
    return list({alert.fingerprint: alert for alert in alerts}.values())


def _update(
    session: Session,
    delivery_id: int,
    group: AlertGroup,
    batch: AlertBatch,
    report: Reporter,
    now: datetime,
) -> Outcome:
    alerts = _unique(batch.alerts)
    known = {
        record.fingerprint: record
        for record in session.scalars(
            select(AlertRecord).where(
                AlertRecord.group_id == group.id,
                AlertRecord.fingerprint.in_([a.fingerprint for a in alerts]),
            )
        )
    }
    incident = session.get(Incident, group.incident_id) if group.incident_id else None
    change = Change(group, incident)
    new = [a for a in alerts if a.fingerprint not in known]
    _add_records(session, group, new, now)
    change.joined = [a for a in new if a.firing]
    for alert in alerts:
        record = known.get(alert.fingerprint)
        if record is None or record.status == alert.status:
            continue  # new (added above) or a repeat: nothing to say
        record.status, record.ends_at, record.last_seen_at = alert.status, alert.ends_at, now
        (change.refired if alert.firing else change.resolved).append(alert)
    group.last_seen_at = now
    changed = bool(change.joined or change.refired or change.resolved)
    if not changed:
        return _finish(
            session,
            delivery_id,
            Outcome(delivery_id, "repeat", group.id, group.incident_id),
            group,
            now,
        )
    session.flush()
    change.still_firing = (
        session.scalar(
            select(func.count())
            .select_from(AlertRecord)
            .where(AlertRecord.group_id == group.id, AlertRecord.status == "firing")
        )
        or 0
    )
    group.status = "firing" if change.still_firing else "resolved"
    result = "resolved" if change.all_resolved else "joined" if change.joined else "changed"
    if group.decision == "declared" and incident is not None:
        timeline_lines.record(session, incident, change, now)
        report(session, change)
    elif group.decision == "pending":
        group.revision += 1
    if group.status == "resolved" and group.decision != "declared":
        groups.close(group, now)  # no incident to follow: the next firing starts afresh
    outcome = Outcome(
        delivery_id, result, group.id, group.incident_id, prompt_due=group.decision == "pending"
    )
    return _finish(session, delivery_id, outcome, group, now)


def _finish(
    session: Session,
    delivery_id: int,
    outcome: Outcome,
    group: AlertGroup | None,
    now: datetime,
) -> Outcome:
    session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == delivery_id)
        .values(
            processed_at=now,
            outcome=outcome.result,
            group_id=group.id if group is not None else None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return outcome


def pending(db: Database, limit: int = 100) -> list[tuple[int, str, str]]:
    """Deliveries accepted but not processed for a while: (id, source, body)."""
    cutoff = utcnow() - SWEEP_AFTER
    with db.begin() as session:
        rows = session.execute(
            select(AlertDelivery.id, AlertDelivery.source, AlertDelivery.body)
            .where(AlertDelivery.processed_at.is_(None), AlertDelivery.received_at < cutoff)
            .order_by(AlertDelivery.id)
            .limit(limit)
        ).all()
    return [(row.id, row.source, row.body) for row in rows]


def note_failure(db: Database, delivery_id: int, error: str) -> None:
    with db.begin() as session:
        delivery = session.get(AlertDelivery, delivery_id)
        if delivery is not None:
            delivery.last_error = error[:2000]
