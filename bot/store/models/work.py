"""Durable work: what the outbox owes Slack, requests from Slack stored before their
acknowledgement (and the signatures seen, against replays), and reminders due on a clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class SlackEffect(Base):
    """A Slack call owed because of a stored change (an outbox row).

    Written in the same transaction as the change and performed afterwards by
    ``bot.outbox``: claimed under a lease that is renewed while it runs, retried
    with backoff while Slack's failure is passing, dead (``dead_at``) when Slack
    refuses it for good or after the give-up time. Rows with an ``order_key``
    (posts into one channel) run in id order per key; the rest run as they come.
    """

    __tablename__ = "slack_effects"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    order_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    lease_holder: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_slack_effects_pending", "done_at", "due_at"),)


class ReceivedRequest(Base):
    """A request from Slack (a slash command, click, form submission, shortcut or event),
    stored before Slack gets its acknowledgement.

    Marked done in the same transaction as the change it asked for, so a request
    whose process died before finishing is dispatched again (``bot.outbox.received``),
    and one that finished is not. ``body`` is the request as Bolt parsed it.
    """

    __tablename__ = "received_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), default="command")
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    lease_holder: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_received_requests_open", "done_at", "received_at"),)


class SeenRequest(Base):
    """A key of a request already received (its Slack signature, an event's ID), kept
    for as long as Slack could send it again: a replay to any replica meets the unique
    key and is refused. Pruned once ``expires_at`` has passed."""

    __tablename__ = "seen_requests"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Reminder(Base):
    """Something the bot must say at a time: a status-update nudge, a post-mortem reminder.

    APScheduler is only the clock: a periodic job claims the rows that are due
    (``sent_at`` set in the same transaction as what sending them changes), so
    a restart loses none and two processes never send one twice.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    # Status nudges already sent since the last update, this one not counted.
    missed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_reminders_due", "sent_at", "cancelled_at", "due_at"),
        Index("ix_reminders_incident", "incident_id", "kind"),
    )
