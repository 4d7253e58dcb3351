"""The public status page: what was published about an incident (its public story, one
row per incident), each public update in order, and the windows in which a component
was in a state other than operational (the page's 90-day bars are drawn from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class PublicIncident(Base):
    """An incident as the public knows it: its own title (never the internal one unless
    someone typed it), status, impact and the components' states as last published."""

    __tablename__ = "public_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    # What URLs show: not the incident's number, so the page does not count incidents.
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(String(16))
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # key: state
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    # Atlassian Statuspage's incident, once the outbox has created it there.
    statuspage_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_public_incidents_resolved_at", "resolved_at"),
        Index("ix_public_incidents_started_at", "started_at"),
    )


class PublicUpdate(Base):
    """One publication: what the public was told, when, by whom, with which states."""

    __tablename__ = "public_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_incident_id: Mapped[int] = mapped_column(
        ForeignKey("public_incidents.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_public_updates_story", "public_incident_id", "published_at"),)


class ComponentImpact(Base):
    """A component was in ``state`` from ``started_at`` until ``ended_at`` (None: still)."""

    __tablename__ = "public_component_impacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_incident_id: Mapped[int] = mapped_column(
        ForeignKey("public_incidents.id", ondelete="CASCADE")
    )
    component: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(24))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_public_component_impacts_ended_at", "ended_at"),
        Index("ix_public_component_impacts_open", "public_incident_id", "ended_at"),
    )
