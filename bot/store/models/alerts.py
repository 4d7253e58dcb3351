"""Alerts: each accepted delivery as it came, the groups they fall into, and each
alert by fingerprint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class AlertDelivery(Base):
    """One accepted webhook request, stored raw before it is acknowledged.

    ``processed_at`` is set in the same transaction as what the delivery
    changed; a delivery left unprocessed (a crash, a database hiccup) is
    processed again by the sweep, so an accepted alert is never lost.
    """

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("alert_groups.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_alert_deliveries_pending", "processed_at", "received_at"),)


class AlertGroup(Base):
    """Alerts a monitor groups together (Alertmanager's groupKey, a generic dedup key).

    ``active_key`` holds the group's dedup hash while the group is live and is
    unique, so however many deliveries race, the database lets one group (and
    so one incident) exist per key. It is cleared when the group is over: its
    incident resolved, or its alerts resolved without an incident.
    """

    __tablename__ = "alert_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    group_key: Mapped[str] = mapped_column(Text)
    active_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    route: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(8))
    severity_label: Mapped[str | None] = mapped_column(String(200))
    service: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="firing")  # of its alerts
    firing: Mapped[int] = mapped_column(default=0)  # how many of its alerts fire now
    # 'declared' (an incident exists), 'pending' (asked in the broadcast channel), 'dismissed'.
    decision: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    links: Mapped[dict[str, Any]] = mapped_column(default=dict)  # title -> URL
    starts_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # The Declare/Dismiss prompt in the broadcast channel, redrawn while
    # ``shown_revision`` lags ``revision``.
    prompt_channel: Mapped[str | None] = mapped_column(String(32))
    prompt_ts: Mapped[str | None] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(default=1)
    shown_revision: Mapped[int] = mapped_column(default=0)
    # Drawing it follows the outbox's lease rules (``bot.outbox.leases``); a revision
    # Slack refuses for good is given up, with the reason kept here.
    prompt_lease_until: Mapped[datetime | None]
    prompt_lease_holder: Mapped[str | None] = mapped_column(String(64))
    prompt_error: Mapped[str | None] = mapped_column(Text)
    # The last alert timeline event the incident channel has been told about.
    reported_event_id: Mapped[int] = mapped_column(default=0)


class AlertRecord(Base):
    """One alert of a group (by the monitor's fingerprint) and its latest state."""

    __tablename__ = "alert_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("alert_groups.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("group_id", "fingerprint", name="uq_alert_records_fingerprint"),
    )
