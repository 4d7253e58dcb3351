"""Drills: the injects a drill sends on its clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base


class DrillInject(Base):
    """One inject of a running drill, due ``offset_seconds`` of drill time after its start.

    The scheduler claims due ones (``sent_at`` set by a conditional update), so a
    restart keeps the drill's clock and no inject is sent twice.
    """

    __tablename__ = "drill_injects"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    position: Mapped[int]
    offset_seconds: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_drill_injects_pending", "sent_at", "incident_id"),)
