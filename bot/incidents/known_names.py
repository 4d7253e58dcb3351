"""The names people had in Slack when the bot last asked, kept so that what is read
outside Slack (an export from the command line) names people instead of showing IDs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import KnownName, utcnow


def remember(session: Session, names: Mapping[str, str], now: datetime | None = None) -> None:
    """Keep (or refresh) each person's name."""
    now = now or utcnow()
    known = {
        row.user_id: row
        for row in session.scalars(select(KnownName).where(KnownName.user_id.in_(list(names))))
    }
    for user, name in names.items():
        if not user or not name:
            continue
        row = known.get(user)
        if row is None:
            session.add(KnownName(user_id=user[:32], name=name[:100], learned_at=now))
        elif row.name != name[:100]:
            row.name, row.learned_at = name[:100], now


def lookup(session: Session, users: Iterable[str]) -> dict[str, str]:
    """The remembered names of ``users`` (those never learned are left out)."""
    wanted = [user for user in users if user]
    if not wanted:
        return {}
    rows = session.execute(
        select(KnownName.user_id, KnownName.name).where(KnownName.user_id.in_(wanted))
    )
    return {user: name for user, name in rows}
