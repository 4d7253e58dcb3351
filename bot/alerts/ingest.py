"""Accepting alerts: store the raw delivery, then deduplicate and decide.

``store`` commits the raw body before the sender hears 2xx; the intake then
applies stored deliveries in order, many per transaction (``process_many``),
and the sweep applies any left behind (``process``). Applying finds or opens the
group for the batch's dedup key (the unique ``active_key`` lets one group
exist per key however many deliveries race), records each alert by
fingerprint, and declares, asks, adds to the timeline or absorbs a repeat.
What Slack must show is handed to a ``Reporter`` inside that same
transaction, so it is never lost either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.alerts import group_lifecycle, timeline_lines
from bot.alerts.normalized import Alert, AlertBatch
from bot.alerts.policy import PRIVATE, AlertPolicy
from bot.store.db import Database
from bot.store.models import AlertDelivery, AlertGroup, AlertRecord, Incident, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RECORDS = cast(Table, AlertRecord.__table__)
DELIVERIES = cast(Table, AlertDelivery.__table__)
# A delivery still unprocessed after this is presumed interrupted and retried by the sweep.
SWEEP_AFTER = timedelta(seconds=15)
GIVE_UP_AFTER = 10


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
class Disposition:
    delivery_id: int
    result: str  # declared, asked, joined, resolved, repeat, ignored, duplicate
    group_id: int | None = None
    incident_id: int | None = None
    new_incident: bool = False
    prompt_due: bool = False

    @property
    def owes_slack(self) -> bool:
        """Whether Slack has something to show for it (a repeat has nothing)."""
        return self.new_incident or self.prompt_due or self.result in CHANGED


CHANGED = {"joined", "changed", "resolved"}


def store(db: Database, source: str, body: str) -> int:
    """Commit the raw delivery; only then may the sender be told it was accepted."""
    with db.begin() as session:
        inserted = session.execute(
            insert(DELIVERIES).values(source=source, body=body, received_at=utcnow(), attempts=0)
        )
        return int(inserted.inserted_primary_key[0])  # type: ignore[attr-defined]


Item = tuple[int, AlertBatch]  # a stored delivery and what it says


def process_many(
    db: Database,
    items: Sequence[Item],
    policy: AlertPolicy,
    broadcast: str | None,
    report: Reporter,
    budget: float | None = None,
) -> list[Disposition]:
    """Apply stored deliveries in order in one transaction: one commit for a burst.

    With a ``budget`` (seconds) it stops once that is spent, so the write lock
    is never held long; the outcomes say how many were applied (at least one).
    Raises if any fails, having changed nothing; the caller then applies them
    one by one with ``process``.
    """
    started = time.perf_counter()
    outcomes: list[Disposition] = []
    with db.begin() as session:
        for delivery_id, batch in items:
            if _claim(session, delivery_id):
                outcomes.append(_apply(session, delivery_id, batch, policy, broadcast, report))
            else:
                outcomes.append(Disposition(delivery_id, "duplicate"))
            if budget is not None and time.perf_counter() - started > budget:
                break
        _finish(session, [o for o in outcomes if o.result != "duplicate"])
    return outcomes


def process(
    db: Database,
    delivery_id: int,
    batch: AlertBatch,
    policy: AlertPolicy,
    broadcast: str | None,
    report: Reporter,
) -> Disposition:
    """Apply one stored delivery, retrying when a concurrent process wins a race for its group."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return process_many(db, [(delivery_id, batch)], policy, broadcast, report)[0]
        except IntegrityError:
            # Another process opened this group or recorded this alert first:
            # run again against its committed state.
            log.debug("delivery %s lost a race (attempt %s); retrying", delivery_id, attempt + 1)
    raise RuntimeError(f"alert delivery {delivery_id} kept colliding; the sweep will retry it")


def _claim(session: Session, delivery_id: int) -> bool:
    """Take a delivery not applied yet; False when it already was.

    In a transaction this is the first write: on SQLite it takes the write
    lock, so what follows reads committed, current state.
    """
    claimed = session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == delivery_id, DELIVERIES.c.processed_at.is_(None))
        .values(attempts=DELIVERIES.c.attempts + 1)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _apply(
    session: Session,
    delivery_id: int,
    batch: AlertBatch,
    policy: AlertPolicy,
    broadcast: str | None,
    report: Reporter,
) -> Disposition:
    now = utcnow()
    group, incident = group_lifecycle.live_group(session, batch.dedup_hash, now)
    firing = [alert for alert in batch.alerts if alert.firing]
    if group is None:
        if not firing:
            return Disposition(delivery_id, "ignored")
        return _open(session, delivery_id, batch, firing, policy, broadcast, report, now)
    return _update(session, delivery_id, group, incident, batch, policy, report, now)


def _open(
    session: Session,
    delivery_id: int,
    batch: AlertBatch,
    firing: Sequence[Alert],
    policy: AlertPolicy,
    broadcast: str | None,
    report: Reporter,
    now: datetime,
) -> Disposition:
    group = group_lifecycle.new_group(batch, firing, policy, now)
    mode = policy.mode_for(batch.route)
    asks = mode == "ask" and broadcast is not None
    group.decision = "pending" if asks else "declared"
    group.prompt_channel = broadcast if asks else None
    unique = _unique(batch.alerts)
    group.firing = sum(alert.firing for alert in unique)
    session.add(group)
    session.flush()  # the unique active_key: a concurrent opener fails here and retries
    _add_records(session, group.id, unique, now)
    if asks:
        return Disposition(delivery_id, "asked", group.id, prompt_due=True)
    incident = group_lifecycle.declare_from(
        session, group, actor=None, now=now, private=mode == PRIVATE
    )
    report(session, Change(group, incident, new_incident=True, still_firing=group.firing))
    return Disposition(delivery_id, "declared", group.id, incident.id, new_incident=True)


def _add_records(session: Session, group_id: int, alerts: Sequence[Alert], now: datetime) -> None:
    if not alerts:
        return
    session.execute(
        insert(AlertRecord),
        [
            {
                "group_id": group_id,
                "fingerprint": alert.fingerprint,
                "name": alert.name,
                "status": alert.status,
                "labels": alert.labels,
                "annotations": alert.annotations,
                "starts_at": alert.starts_at,
                "ends_at": alert.ends_at,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for alert in alerts
        ],
    )


def _unique(alerts: Sequence[Alert]) -> list[Alert]:
    """One alert per fingerprint: the last word in a batch wins."""
    return list({alert.fingerprint: alert for alert in alerts}.values())


def _update(
    session: Session,
    delivery_id: int,
    group: AlertGroup,
    incident: Incident | None,
    batch: AlertBatch,
    policy: AlertPolicy,
    report: Reporter,
    now: datetime,
) -> Disposition:
    alerts = _unique(batch.alerts)
    known = {
        row.fingerprint: row
        for row in session.execute(
            select(AlertRecord.id, AlertRecord.fingerprint, AlertRecord.status).where(
                AlertRecord.group_id == group.id,
                AlertRecord.fingerprint.in_([a.fingerprint for a in alerts]),
            )
        )
    }
    change = Change(group, incident)
    new = [a for a in alerts if a.fingerprint not in known]
    _add_records(session, group.id, new, now)
    change.joined = [a for a in new if a.firing]
    flipped = []
    for alert in alerts:
        row = known.get(alert.fingerprint)
        if row is None or row.status == alert.status:
            continue  # new (added above) or a repeat: nothing to say
        flipped.append({"rid": row.id, "st": alert.status, "ends": alert.ends_at, "seen": now})
        (change.refired if alert.firing else change.resolved).append(alert)
    if flipped:
        session.execute(
            # The table, not the class: an executemany of a plain UPDATE ... WHERE id = ?.
            update(RECORDS)
            .where(RECORDS.c.id == bindparam("rid"))
            .values(
                status=bindparam("st"), ends_at=bindparam("ends"), last_seen_at=bindparam("seen")
            ),
            flipped,
        )
    group.last_seen_at = now
    if not (change.joined or change.refired or change.resolved):
        return Disposition(delivery_id, "repeat", group.id, group.incident_id)
    # The group row is locked for this transaction, so the counter cannot drift.
    group.firing = max(
        0, group.firing + len(change.joined) + len(change.refired) - len(change.resolved)
    )
    change.still_firing = group.firing
    group.status = "firing" if group.firing else "resolved"
    result = "resolved" if change.all_resolved else "joined" if change.joined else "changed"
    if group.decision == "declared" and incident is not None:
        timeline_lines.record(session, incident, change, now)
        report(session, change)
    elif group.decision == "pending":
        group.revision += 1
    elif group.decision == "dismissed":
        _ask_again_if_worse(group, change.joined + change.refired, policy)
    if group.status == "resolved" and group.decision != "declared":
        group_lifecycle.close(group, now)  # no incident to follow: the next firing starts afresh
    return Disposition(
        delivery_id, result, group.id, group.incident_id, prompt_due=group.decision == "pending"
    )


def _ask_again_if_worse(group: AlertGroup, fired: Sequence[Alert], policy: AlertPolicy) -> None:
    """A dismissal holds for what was dismissed: an alert of the group more severe than
    that is asked about again, in a new prompt."""
    if not fired:
        return
    severity, label = policy.group_severity(fired)
    if severity.value >= group.severity:  # sev1 < sev3: not more severe
        return
    group.severity, group.severity_label = severity.value, label
    group.decision = "pending"
    group.prompt_ts = None  # a new message, where people will see it
    group.revision += 1


def _finish(session: Session, outcomes: Sequence[Disposition]) -> None:
    """Mark the deliveries applied, with what each did, in one statement."""
    if not outcomes:
        return
    now = utcnow()
    session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == bindparam("did"))
        .values(
            processed_at=now,
            outcome=bindparam("result"),
            group_id=bindparam("gid"),
            last_error=None,
        ),
        [{"did": o.delivery_id, "result": o.result, "gid": o.group_id} for o in outcomes],
    )


def pending(
    db: Database, older_than: timedelta = SWEEP_AFTER, limit: int = 500
) -> list[tuple[int, str, str]]:
    """Deliveries stored but not applied (id, source, body), oldest first.

    ``older_than`` leaves alone the ones the intake is about to apply; one
    that failed ``GIVE_UP_AFTER`` times is left for a person (its error is stored).
    """
    cutoff = utcnow() - older_than
    with db.begin() as session:
        rows = session.execute(
            select(AlertDelivery.id, AlertDelivery.source, AlertDelivery.body)
            .where(
                AlertDelivery.processed_at.is_(None),
                AlertDelivery.received_at <= cutoff,
                AlertDelivery.attempts < GIVE_UP_AFTER,
            )
            .order_by(AlertDelivery.id)
            .limit(limit)
        ).all()
    return [(row.id, row.source, row.body) for row in rows]


def note_failure(db: Database, delivery_id: int, error: str) -> None:
    with db.begin() as session:
        delivery = session.get(AlertDelivery, delivery_id)
        if delivery is not None:
            delivery.attempts += 1
            delivery.last_error = error[:2000]
