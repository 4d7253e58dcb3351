"""Serious-incident reporting: the timeline's hash chain, each incident's assessment and
reporting clock, and the evidence preserved before a change to the AI system.

The chain is written here, beside the tables, because every transaction that adds a
timeline event must extend it: a session hook (:func:`_chain_before_commit`) links the
transaction's new events, in the order they were written, to the incident's last hash
before the transaction commits. The incident's head row is taken first (an upsert that
holds it until commit), so two transactions adding to one incident chain one after the
other, never both onto the same hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    update,
)
from sqlalchemy import insert as generic_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store.models.base import Base, utcnow
from bot.store.models.incidents import TimelineEvent
from bot.store.timeline_hash import GENESIS, event_hash


class ChainLink(Base):
    """One event's place in its incident's chain: its hash and the one before it.

    A link outlives its event: when the bot itself takes an event off the timeline (a
    pinned message unpinned), ``removed_at`` says so and the chain still holds."""

    __tablename__ = "timeline_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    removed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("incident_id", "seq", name="uq_timeline_chain_seq"),
        Index("ix_timeline_chain_event", "event_id"),
    )


class ChainHead(Base):
    """An incident's chain so far: how many links, and the last hash."""

    __tablename__ = "timeline_chain_heads"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class SeriousCase(Base):
    """An incident's assessment under the reporting regime, and its clock."""

    __tablename__ = "serious_cases"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    regime: Mapped[str] = mapped_column(String(40))
    # None until assessed; a later assessment may revise it (each is on the timeline).
    serious: Mapped[bool | None]
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assessed_at: Mapped[datetime | None]
    assessed_by: Mapped[str | None] = mapped_column(String(32))
    # When the assessment was offered on its own (a card), so it is offered once.
    offered_at: Mapped[datetime | None]
    # Awareness: when it was first assessed serious (correctable, with who and why).
    aware_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    deadline_days: Mapped[int | None]
    deadline_reason: Mapped[str | None] = mapped_column(String(200))
    # The next reminder to the Legal Liaison; None when none is owed (sent, or not serious).
    next_reminder_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    initial_sent_at: Mapped[datetime | None]
    initial_sent_by: Mapped[str | None] = mapped_column(String(32))
    initial_reference: Mapped[str | None] = mapped_column(String(200))
    complete_sent_at: Mapped[datetime | None]
    complete_sent_by: Mapped[str | None] = mapped_column(String(32))
    complete_reference: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_serious_cases_next_reminder", "next_reminder_at"),)


class EvidenceRecord(Base):
    """What was preserved before a change to the AI system (Article 73(6)), whole, with
    the SHA-256 digest of its canonical JSON."""

    __tablename__ = "evidence_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_by: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_evidence_records_incident", "incident_id"),)


# -- the chain's session hook ---------------------------------------------------------------

_NEW = "timeline_chain_new"
_GONE = "timeline_chain_gone"


@event.listens_for(Session, "after_flush")
def _chain_noticed(session: Session, _context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, TimelineEvent):
            session.info.setdefault(_NEW, []).append(obj)
    for obj in session.deleted:
        if isinstance(obj, TimelineEvent) and obj.id is not None:
            session.info.setdefault(_GONE, []).append(obj.id)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _chain_forget(session: Session, *_: Any) -> None:
    session.info.pop(_NEW, None)
    session.info.pop(_GONE, None)


def _head_upsert(session: Session, incident_id: int, count: int) -> tuple[int, str]:
    """Take the incident's head (held to commit) and advance it by ``count`` links;
    the first of them is numbered ``seq + 1`` and chains to ``hash``."""
    dialect = session.get_bind().dialect.name
    values = {"incident_id": incident_id, "seq": count, "hash": GENESIS}
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        upsert(ChainHead)
        .values(**values)
        .on_conflict_do_update(index_elements=["incident_id"], set_={"seq": ChainHead.seq + count})
    )
    row = session.execute(stmt.returning(ChainHead.seq, ChainHead.hash)).one()
    return int(row[0]) - count, str(row[1])


@event.listens_for(Session, "before_commit")
def _chain_before_commit(session: Session) -> None:
    # The commit's own flush comes after this hook: flush first what is still pending.
    pending = any(isinstance(o, TimelineEvent) for o in (*session.new, *session.deleted))
    if not pending and not session.info.get(_NEW) and not session.info.get(_GONE):
        return
    session.flush()
    fresh = [e for e in session.info.pop(_NEW, []) if inspect(e).persistent and e.id is not None]
    gone = session.info.pop(_GONE, [])
    if gone:
        session.execute(
            update(ChainLink)
            .where(ChainLink.event_id.in_(gone), ChainLink.removed_at.is_(None))
            .values(removed_at=utcnow())
        )
    by_incident: dict[int, list[TimelineEvent]] = {}
    for e in sorted({id(e): e for e in fresh}.values(), key=lambda e: e.id):
        by_incident.setdefault(e.incident_id, []).append(e)
    postgresql = session.get_bind().dialect.name == "postgresql"
    for incident_id in sorted(by_incident):
        links: list[dict[str, Any]] = []
        written = by_incident[incident_id]
        seq, previous = _head_upsert(session, incident_id, len(written))
        for e in written:
            seq += 1
            digest = event_hash(
                previous, incident_id, e.kind, e.occurred_at, e.actor, e.text, e.data
            )
            links.append(
                {
                    "incident_id": incident_id,
                    "seq": seq,
                    "event_id": e.id,
                    "prev_hash": previous,
                    "hash": digest,
                }
            )
            previous = digest
        head = update(ChainHead).where(ChainHead.incident_id == incident_id).values(hash=previous)
        if postgresql:  # the links and the new head in one round trip
            session.execute(head.add_cte(generic_insert(ChainLink).values(links).cte("links")))
        else:
            session.execute(generic_insert(ChainLink), links)
            session.execute(head)
