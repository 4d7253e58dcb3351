"""Checking an incident's timeline against its hash chain.

Each event's link (``store/models/reporting.ChainLink``) holds the hash of its content
chained to the hash before it. :func:`verify` recomputes the chain from the events as
they are now and names the first that was changed, removed or inserted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, text
from sqlalchemy.orm import Session

from bot.incidents import kinds
from bot.store.models import ChainHead
from bot.store.timeline_hash import GENESIS, event_hash


@dataclass(frozen=True)
class Verdict:
    ok: bool
    events: int  # events checked
    head: str  # the last hash of the chain as stored (GENESIS for none)
    problem: str = ""  # the first event that does not hold, in words
    event_id: int | None = None


def _named(event_id: int, kind: str | None, when: datetime | str | None) -> str:
    said = f"event #{event_id}"
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if kind:
        said += f" ({kinds.label(kind)}"
        if when is not None:
            said += f", {when.strftime('%Y-%m-%d %H:%M:%S')} UTC"
        said += ")"
    return said


def head(session: Session, incident_id: int) -> str:
    """The incident's last hash (what a report carries)."""
    found = session.scalar(select(ChainHead.hash).where(ChainHead.incident_id == incident_id))
    return found or GENESIS


def verify(session: Session, incident_id: int) -> Verdict:
    """Recompute the incident's chain; the verdict names the first event that breaks it."""
    # Read as stored, without the columns' types: the hash takes SQLite's text as it is,
    # and a hundred thousand rows are read at the driver's pace.
    conn = session.connection()

    def rows(sql: str) -> list[Any]:  # the driver's tuples, without SQLAlchemy's rows
        result = conn.execute(text(sql), {"incident": incident_id})
        assert isinstance(result, CursorResult)
        return list(result.cursor.fetchall())

    # PostgreSQL hands the time over in UTC as text and the JSON as text, as SQLite keeps them.
    when, data = (
        ("to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')", "data::text")
        if conn.dialect.name == "postgresql"
        else ("occurred_at", "data")
    )
    events = {
        row[0]: row
        for row in rows(
            f"SELECT id, kind, {when}, actor, text, {data} FROM timeline_events "
            "WHERE incident_id = :incident"
        )
    }
    links = rows(
        "SELECT seq, event_id, prev_hash, hash, removed_at FROM timeline_chain "
        "WHERE incident_id = :incident ORDER BY seq"
    )
    stored_head = conn.execute(
        text("SELECT seq, hash FROM timeline_chain_heads WHERE incident_id = :incident"),
        {"incident": incident_id},
    ).first()
    previous, expected, checked = GENESIS, 1, 0

    def broken(problem: str, event_id: int | None) -> Verdict:
        return Verdict(
            False, checked, stored_head[1] if stored_head else GENESIS, problem, event_id
        )

    for seq, event_id, prev_hash, digest, removed_at in links:
        # An event the bot took off keeps its link; SQLite may give its id to a later one.
        row = None if removed_at is not None else events.pop(event_id, None)
        if seq != expected or prev_hash != previous:
            named = _named(event_id, row[1], row[2]) if row else f"event #{event_id}"
            return broken(f"an event just before {named} was removed from the chain", event_id)
        if row is None:
            if removed_at is None:
                return broken(f"event #{event_id} was removed", event_id)
        else:
            _, kind, occurred_at, actor, words, data = row
            if event_hash(previous, incident_id, kind, occurred_at, actor, words, data) != digest:
                return broken(f"{_named(event_id, kind, occurred_at)} was changed", event_id)
            checked += 1
        previous, expected = digest, expected + 1
    if events:
        first = min(events)
        row = events[first]
        return broken(
            f"{_named(first, row[1], row[2])} was inserted: it is not on the chain", first
        )
    if stored_head is not None and (stored_head[0] != expected - 1 or stored_head[1] != previous):
        return broken("the last events of the timeline were removed", None)
    return Verdict(True, checked, previous)
