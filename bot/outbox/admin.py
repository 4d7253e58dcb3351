"""What an operator sees and does from the command line: the work still owed, the work
Slack refused for good, and trying dead work again or dropping it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from bot.outbox.engine import pending_filter
from bot.store.db import Database
from bot.store.models import Incident, SlackEffect, utcnow


@dataclass(frozen=True)
class Row:
    id: int
    incident: str
    kind: str
    attempts: int
    owed_since: datetime
    due_at: datetime
    dead_at: datetime | None
    error: str | None


def listing(db: Database, *, dead: bool, limit: int = 200) -> list[Row]:
    """Owed work (``dead=False``), oldest first, or dead work, newest first."""
    query = select(SlackEffect, Incident.id).join(Incident, Incident.id == SlackEffect.incident_id)
    if dead:
        query = query.where(SlackEffect.dead_at.is_not(None), SlackEffect.done_at.is_(None))
        query = query.order_by(SlackEffect.dead_at.desc())
    else:
        query = query.where(pending_filter()).order_by(SlackEffect.id)
    with db.begin() as session:
        return [
            Row(
                effect.id,
                f"INC-{incident_id}",
                effect.kind,
                effect.attempts,
                effect.created_at,
                effect.due_at,
                effect.dead_at,
                effect.last_error,
            )
            for effect, incident_id in session.execute(query.limit(limit)).all()
        ]


def retry(db: Database, effect_id: int) -> bool:
    """Owe dead work again, due now; the bot's next drain (within 30 s) performs it."""
    with db.begin() as session:
        done = session.execute(
            update(SlackEffect)
            .where(
                SlackEffect.id == effect_id,
                SlackEffect.dead_at.is_not(None),
                SlackEffect.done_at.is_(None),
            )
            .values(
                dead_at=None,
                attempts=0,
                due_at=utcnow(),
                created_at=utcnow(),  # the give-up time counts from now
                lease_until=None,
                lease_holder=None,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]


def drop(db: Database, effect_id: int) -> bool:
    """Forget owed or dead work for good (work already done is history, not dropped)."""
    with db.begin() as session:
        gone = session.execute(
            delete(SlackEffect)
            .where(SlackEffect.id == effect_id, SlackEffect.done_at.is_(None))
            .execution_options(synchronize_session=False)
        )
        return bool(gone.rowcount)  # type: ignore[attr-defined]
