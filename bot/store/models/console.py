"""The console's sign-ins: one row per session, so signing out ends it everywhere."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class ConsoleSession(Base):
    """A person signed into the console. The browser's cookie carries only ``id`` (signed);
    the session is good while ``ended_at`` is empty and it is younger than the console's
    session hours. Signing out sets ``ended_at``, so a copy of the cookie is worth nothing
    after it."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_console_sessions_started_at", "started_at"),)
