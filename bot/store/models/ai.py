"""The AI investigator's tasks (an investigation, a catch-up, a drafted post-mortem) and
every request each sent to the language model, kept so that what left the bot can be
read afterwards (``incidentbot ai-log INC-N``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class AiTask(Base):
    """One piece of work for the model. ``running_incident`` holds the incident's ID while
    the task runs and is unique: a second task for the same incident cannot start (the
    insert fails) until the first has finished or passed its deadline."""

    __tablename__ = "ai_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # investigate, catchup, postmortem
    asked_by: Mapped[str | None] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    running_incident: Mapped[int | None] = mapped_column(Integer, unique=True)
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    # The bot's own time on the task, outside the model's answers (seconds).
    own_seconds: Mapped[float] = mapped_column(Float, default=0.0)

    __table_args__ = (Index("ix_ai_tasks_incident", "incident_id", "started_at"),)


class AiRequest(Base):
    """One request as it was sent to the model (the token is a header, never stored)."""

    __tablename__ = "ai_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("ai_tasks.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[int | None] = mapped_column()
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_ai_requests_task", "task_id", "seq"),)
