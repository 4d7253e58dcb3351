"""The names people had in Slack when the bot last asked, kept so that what is read
outside Slack (an export from the command line) names people instead of showing IDs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.db import insert_new
from bot.store.models import KnownName, utcnow


def remember(session: Session, names: Mapping[str, str], now: datetime | None = None) -> None:
    """Keep (or refresh) each person's name. Two processes learning one name at once
    both succeed: a row another inserted first is not inserted again."""
    now = now or utcnow()
    wanted = {user[:32]: name[:100] for user, name in names.items() if user and name}
    if not wanted:
        return
    fresh = insert_new(
        session,
        KnownName,
        "user_id",
        [{"user_id": user, "name": name, "learned_at": now} for user, name in wanted.items()],
    )
    for user, name in wanted.items():
        if user not in fresh:
            session.execute(
                update(KnownName)
                .where(KnownName.user_id == user, KnownName.name != name)
                .values(name=name, learned_at=now)
            )


def lookup(session: Session, users: Iterable[str]) -> dict[str, str]:
    """The remembered names of ``users`` (those never learned are left out)."""
    wanted = [user for user in users if user]
    if not wanted:
        return {}
    rows = session.execute(
        select(KnownName.user_id, KnownName.name).where(KnownName.user_id.in_(wanted))
    )
    return {user: name for user, name in rows}
