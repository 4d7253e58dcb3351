"""Follow-through outside Slack: each action item's ticket in the team's tracker and
its overdue nudges, and the wiki page each post-mortem is published to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class TrackedAction(Base):
    """One action item (a timeline event) as the bot follows it up.

    Written beside the item. ``ticket`` is ``None`` (nobody asked), ``owed`` (the
    outbox files it), ``filed`` or ``declined`` (someone said no: resolution files
    nothing). ``label`` is the item's own label in the tracker, so a filing retried
    after a crash finds the ticket it made instead of making a second. The daily poll
    takes rows whose ``check_due_at`` has come, and the overdue nudge those whose
    ``nudge_due_at`` has, each by a conditional update, so one replica takes each."""

    __tablename__ = "tracked_actions"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("timeline_events.id", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    owner: Mapped[str | None] = mapped_column(String(32))
    due: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ticket: Mapped[str | None] = mapped_column(String(16))  # owed, filed, declined
    asked_by: Mapped[str | None] = mapped_column(String(32))  # None: filed on resolution
    provider: Mapped[str | None] = mapped_column(String(16))  # jira, github
    label: Mapped[str | None] = mapped_column(String(64))
    ticket_key: Mapped[str | None] = mapped_column(String(64), index=True)  # FRAUD-12, #34
    ticket_url: Mapped[str | None] = mapped_column(String(500))
    filed_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]  # the item is done (here or in the tracker)
    check_due_at: Mapped[datetime | None]  # the next poll of the tracker
    nudge_due_at: Mapped[datetime | None]  # the next overdue nudge to the owner
    nudges: Mapped[int] = mapped_column(default=0)
    card_ts: Mapped[str | None] = mapped_column(String(32))  # the item's card in the channel

    __table_args__ = (
        Index("ix_tracked_actions_incident", "incident_id"),
        Index("ix_tracked_actions_check", "check_due_at"),
        Index("ix_tracked_actions_nudge", "nudge_due_at"),
    )


class PublishedPage(Base):
    """The wiki page an incident's post-mortem is published to: one per incident, so
    publishing again updates it (a new version) instead of making a second page."""

    __tablename__ = "published_pages"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    page_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(default=1)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(32))
