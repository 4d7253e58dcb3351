"""Paging: each page sent (or owed) to an on-call provider, and each delivery the
provider's webhooks sent back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class Page(Base):
    """One page of one service for one incident.

    The row is written (owed) in the transaction that decides to page, with the
    dedup key the provider is given; the outbox then sends it. One row per
    incident, provider and service (unique), so a repeat decision, a retry or a
    replay after a crash finds the row instead of paging twice, and the provider's
    own dedup key guards the call itself."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(16))  # pagerduty, opsgenie, drill
    service: Mapped[str] = mapped_column(String(100))  # the provider's ID of what is paged
    service_name: Mapped[str] = mapped_column(String(200))  # what people call it
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    requested_by: Mapped[str | None] = mapped_column(String(32))  # None: by the rules
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the provider answered: its incident (or alert) ID and link.
    external_id: Mapped[str | None] = mapped_column(String(100), index=True)
    url: Mapped[str | None] = mapped_column(String(500))
    # owed, triggered, acknowledged, resolved, failed
    status: Mapped[str] = mapped_column(String(16), default="owed")
    paged_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    escalation_level: Mapped[int] = mapped_column(default=1)
    resolved_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("incident_id", "provider", "service", name="uq_pages_incident_service"),
    )


class PagerDelivery(Base):
    """One webhook delivery from the provider, stored before it is answered.

    Deliveries come at least once: ``webhook_id`` (PagerDuty's ``X-Webhook-Id``) is
    unique, and so is the body's signed ``event.id``, so a redelivery (or the same event
    re-sent under a new header) is recognised and applied no second time;
    ``processed_at`` is set in the transaction that applies it, and one left
    unprocessed (a crash) is applied by the scheduler's sweep."""

    __tablename__ = "pager_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(100), unique=True)
    # What PagerDuty signs: the body's event.id (the same event re-sent under a fresh
    # X-Webhook-Id is the same delivery), and the incident it is about (kept in order).
    event_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    subject: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(200))
    # A delivery that fails to apply is tried again at the next sweep, then set aside
    # (``dead_at``) after a few attempts, so it never holds back the ones after it.
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    dead_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_pager_deliveries_pending", "processed_at", "received_at"),)
