"""Finding incidents. Every lookup here uses an index; none scans the timeline."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from bot.incidents.permissions import Reader
from bot.store.models import Incident, RoleAssignment


def lock(session: Session, incident_id: int) -> Incident | None:
    """Take the incident's row for this transaction, then read it fresh.

    Every check-then-act on an incident (resolve, severity, hand-over, key-time
    corrections, triage decisions) starts here, so two at once run one after the
    other and the second checks its guard against the first's committed change.
    The lock is a write (``UPDATE ... SET id = id``) and the transaction's first
    statement: on PostgreSQL it takes the row lock, on SQLite the write lock,
    before anything is read, so no stale read can be acted on.
    """
    taken = session.execute(
        update(Incident)
        .where(Incident.id == incident_id)
        .values(id=Incident.id)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        return None
    return session.get(Incident, incident_id, populate_existing=True)


def id_by_channel(session: Session, channel_id: str) -> int | None:
    return session.scalar(select(Incident.id).where(Incident.channel_id == channel_id))


def by_channel(session: Session, channel_id: str) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.channel_id == channel_id))


def open_incidents(session: Session, limit: int = 50) -> list[Incident]:
    """Open incidents, most severe first, then newest first."""
    query = (
        select(Incident)
        .where(Incident.status != "resolved")
        .order_by(Incident.severity, Incident.declared_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def count_open(session: Session, *, drills: bool = True) -> int:
    """Open incidents; ``drills=False`` leaves tabletop drills out (statistics do)."""
    query = select(func.count()).select_from(Incident).where(Incident.status != "resolved")
    if not drills:
        query = query.where(Incident.drill.is_(None))
    return session.scalar(query) or 0


def readable(reader: Reader) -> ColumnElement[bool]:
    """The incidents ``reader`` may read, as a condition: ``permissions.reads`` in SQL
    (a test holds the two to the same answers)."""
    if reader.responder:
        return true()
    holds = exists().where(
        RoleAssignment.incident_id == Incident.id, RoleAssignment.user_id == reader.user
    )
    return or_(
        Incident.private.is_(False),
        Incident.channel_id.in_(sorted(reader.channels)) if reader.channels else false(),
        Incident.declared_by == reader.user,
        holds,
    )
