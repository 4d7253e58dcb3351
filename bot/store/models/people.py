"""People as Slack names them, remembered when the bot learns their names, so that a
document read outside Slack (the command line's exports) shows names, not IDs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class KnownName(Base):
    """The name Slack gave a person when the bot last asked (a post-mortem, a resolution,
    a ticket); kept for as long as the incidents that name them."""

    __tablename__ = "known_names"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    learned_at: Mapped[datetime] = mapped_column(default=utcnow)
