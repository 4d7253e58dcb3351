"""Reminders as rows: status-update nudges on the severity's cadence, post-mortem reminders.

APScheduler is the clock, the database is the truth (ARCHITECTURE.md). These
functions only write rows in the caller's transaction: scheduling one cancels
the pending one it replaces, and ``claim_due`` takes the rows that are due with
row locks that other processes skip, so two bot processes never send one
reminder twice. The Slack side (``bot/slack/flows/nudges.py``) decides what
each says.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.incidents.severity import Severity
from bot.store.models import Incident, Reminder, utcnow

STATUS = "status_update"
POSTMORTEM_DUE = "postmortem_due"
POSTMORTEM_EVE = "postmortem_eve"
POSTMORTEM_BUSINESS_DAYS = 5
POSTMORTEM_SEVERITIES = {Severity.SEV1, Severity.SEV2}
# A resolved incident whose public story still reads as open: the offer to publish its
# resolution is made again this long after, at most this many times.
PUBLIC_RESOLUTION = "public_resolution"
PUBLIC_RESOLUTION_EVERY = timedelta(minutes=30)
PUBLIC_RESOLUTION_TIMES = 3

Cadence = Mapping[str, timedelta | None]


def cadence_of(cadence: Cadence, incident: Incident) -> timedelta | None:
    """How often the incident's stakeholders expect an update; None for never."""
    return cadence.get(incident.severity)


def next_update_due(incident: Incident, cadence: Cadence) -> datetime | None:
    every = cadence_of(cadence, incident)
    if every is None or not incident.is_open:
        return None
    return (incident.last_update_at or incident.declared_at) + every


def add_business_days(start: datetime, days: int) -> datetime:
    """``days`` working days (Monday to Friday) after ``start``, at the same time of day."""
    when = start
    while days > 0:
        when += timedelta(days=1)
        if when.weekday() < 5:
            days -= 1
    return when


def _cancel(session: Session, incident_id: int, kinds: tuple[str, ...], now: datetime) -> None:
    session.execute(
        update(Reminder)
        .where(
            Reminder.incident_id == incident_id,
            Reminder.kind.in_(kinds),
            Reminder.sent_at.is_(None),
            Reminder.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
        .execution_options(synchronize_session=False)
    )


def pending_status(session: Session, incident_id: int) -> Reminder | None:
    return session.scalars(
        select(Reminder).where(
            Reminder.incident_id == incident_id,
            Reminder.kind == STATUS,
            Reminder.sent_at.is_(None),
            Reminder.cancelled_at.is_(None),
        )
    ).first()


def schedule_status(
    session: Session,
    incident: Incident,
    cadence: Cadence,
    *,
    now: datetime | None = None,
    missed: int | None = None,
) -> Reminder | None:
    """(Re)schedule the incident's next nudge from its last update (or declaration).

    Keeps the count of missed updates unless told otherwise; a due time
    already past becomes now, so a change never fires a burst.
    """
    now = now or utcnow()
    current = pending_status(session, incident.id)
    carried = current.missed if current is not None else 0
    _cancel(session, incident.id, (STATUS,), now)
    due = next_update_due(incident, cadence)
    if due is None:
        return None
    reminder = Reminder(
        incident_id=incident.id,
        kind=STATUS,
        due_at=max(due, now),
        missed=carried if missed is None else missed,
        created_at=now,
    )
    session.add(reminder)
    return reminder


def update_sent(session: Session, incident: Incident, cadence: Cadence, now: datetime) -> None:
    """A status update went out: the clock restarts and nothing is missed any more."""
    incident.last_update_at = now
    schedule_status(session, incident, cadence, now=now, missed=0)


def resolved(session: Session, incident: Incident, now: datetime) -> list[Reminder]:
    """Stop the nudges; a SEV1 or SEV2 gets its post-mortem reminders (due, and the day before)."""
    _cancel(session, incident.id, (STATUS,), now)
    if Severity(incident.severity) not in POSTMORTEM_SEVERITIES:
        return []
    due = add_business_days(now, POSTMORTEM_BUSINESS_DAYS)
    eve = add_business_days(now, POSTMORTEM_BUSINESS_DAYS - 1)
    reminders = [
        Reminder(incident_id=incident.id, kind=POSTMORTEM_EVE, due_at=eve, created_at=now),
        Reminder(incident_id=incident.id, kind=POSTMORTEM_DUE, due_at=due, created_at=now),
    ]
    session.add_all(reminders)
    return reminders


def remind_public_resolution(
    session: Session, incident: Incident, now: datetime, missed: int = 0
) -> Reminder | None:
    """The next reminder that the public story is still open (None after the last)."""
    if missed >= PUBLIC_RESOLUTION_TIMES:
        return None
    reminder = Reminder(
        incident_id=incident.id,
        kind=PUBLIC_RESOLUTION,
        due_at=now + PUBLIC_RESOLUTION_EVERY,
        missed=missed,
        created_at=now,
    )
    session.add(reminder)
    return reminder


def claim_due(
    session: Session, now: datetime, limit: int = 50, *, due_by: datetime | None = None
) -> list[Reminder]:
    """Take the reminders due now (or by ``due_by``, a later time: the sandbox's skip
    ahead) and mark them sent at ``now``, in the caller's transaction.

    On PostgreSQL the rows are locked and other processes skip them (SKIP
    LOCKED); after this commits they are no longer due. The conditional
    update keeps it right where row locks do not exist (SQLite, one process).
    """
    due = list(
        session.scalars(
            select(Reminder)
            .where(
                Reminder.sent_at.is_(None),
                Reminder.cancelled_at.is_(None),
                Reminder.due_at <= (due_by or now),
            )
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    claimed = []
    for reminder in due:
        taken = session.execute(
            update(Reminder)
            .where(
                Reminder.id == reminder.id,
                Reminder.sent_at.is_(None),
                Reminder.cancelled_at.is_(None),
            )
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount:  # type: ignore[attr-defined]
            reminder.sent_at = now
            claimed.append(reminder)
    return claimed


def follow_nudge(
    session: Session, incident: Incident, sent: Reminder, cadence: Cadence, now: datetime
) -> Reminder | None:
    """After a nudge: the next one on cadence, one cadence from now if the bot was down."""
    every = cadence_of(cadence, incident)
    if every is None or not incident.is_open:
        return None
    due = sent.due_at + every
    if due <= now:  # fell due while the bot was down: no burst of catch-ups
        due = now + every
    reminder = Reminder(
        incident_id=incident.id, kind=STATUS, due_at=due, missed=sent.missed + 1, created_at=now
    )
    session.add(reminder)
    return reminder
