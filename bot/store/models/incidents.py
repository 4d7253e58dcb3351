"""Incidents: the incident row, who holds which role, hand-over requests, and the
timeline, the spine every change is written to in the same transaction (see
docs/ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.store.models.base import Base, utcnow


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="investigating")
    service: Mapped[str | None] = mapped_column(String(200))
    failure_category: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    declared_by: Mapped[str | None] = mapped_column(String(32))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    # Slack side, filled in as the channel is provisioned after the declaration.
    channel_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Reserved here (unique) before Slack is asked, so concurrent declarations
    # with one title settle on distinct names without probing Slack.
    channel_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    summary_ts: Mapped[str | None] = mapped_column(String(32))
    announced_ts: Mapped[str | None] = mapped_column(String(32))
    triage_ts: Mapped[str | None] = mapped_column(String(32))  # the current triage card
    provisioned_at: Mapped[datetime | None]
    provisioning_claimed_at: Mapped[datetime | None]
    # The first signal: when the alert behind an incident started firing (time to detect).
    detected_at: Mapped[datetime | None]
    # What raised it when not a person, e.g. "Alertmanager: FraudPrecisionLow".
    detected_by: Mapped[str | None] = mapped_column(String(200))
    # How it was found, when the declarer said (declare.DETECTIONS): "alert", "person",
    # "external". Unsaid, an incident with an alert was found by one, else by a person.
    detection: Mapped[str | None] = mapped_column(String(16))
    # The last status update sent to stakeholders; the cadence counts from it.
    last_update_at: Mapped[datetime | None]
    # Channels besides the broadcast one that status updates also go to.
    stakeholder_channels: Mapped[list[str] | None] = mapped_column(JSON)
    # The latest post-mortem uploaded to the channel, linked from the summary.
    postmortem_url: Mapped[str | None] = mapped_column(String(500))
    # A private incident: a private channel without the title in its name, a broadcast
    # without the title, hidden from lists for people outside its channel.
    private: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The Commander let a private incident's title show on its tickets and wiki page.
    title_shared: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The model's name in the MLflow registry, when someone named it (/incident model).
    registered_model: Mapped[str | None] = mapped_column(String(200))
    # A tabletop drill: its scenario, and its clock (started, paused, ended).
    drill: Mapped[str | None] = mapped_column(String(80))
    drill_started_at: Mapped[datetime | None]
    drill_paused_at: Mapped[datetime | None]
    drill_paused_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    drill_ended_at: Mapped[datetime | None]
    # What its events left behind, for the review (bot.incidents.facts keeps them).
    first_alert_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]  # a person at work (or declared by one)
    mitigated_at: Mapped[datetime | None]
    postmortem_published_at: Mapped[datetime | None]
    first_notice_at: Mapped[datetime | None]
    updates_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    # Updates sent later than the cadence allowed; None for incidents recorded before
    # updates were timed (their share on cadence is not known).
    updates_late: Mapped[int | None] = mapped_column(default=0)
    triage_cause: Mapped[str | None] = mapped_column(String(40))  # the last hypothesis
    paged_at: Mapped[datetime | None]  # the first page the provider accepted
    page_acknowledged_at: Mapped[datetime | None]  # the first on-call to acknowledge one

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", lazy="selectin"
    )
    events: Mapped[list[TimelineEvent]] = relationship(
        back_populates="incident",
        cascade="all, delete-orphan",
        order_by="TimelineEvent.occurred_at, TimelineEvent.id",
        lazy="raise_on_sql",
    )

    __table_args__ = (
        Index("ix_incidents_status", "status"),
        Index("ix_incidents_provisioned_at", "provisioned_at"),
        Index("ix_incidents_declared_at", "declared_at"),  # the review's periods
    )

    @property
    def reference(self) -> str:
        return f"INC-{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"

    def holder(self, role: str) -> str | None:
        """The Slack user holding ``role``, or None while it is unassigned."""
        for assignment in self.roles:
            if assignment.role == role:
                return assignment.user_id
        return None


class RoleAssignment(Base):
    """Who holds a role now. Past holders live on the timeline."""

    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(32))
    assigned_by: Mapped[str | None] = mapped_column(String(32))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="roles")

    __table_args__ = (UniqueConstraint("incident_id", "role", name="uq_role_assignments_role"),)


class TimelineEvent(Base):
    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Set for events that must exist once however often Slack delivers what caused
    # them (a :pushpin: reaction retried with X-Slack-Retry-Num): the database refuses
    # the second.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    incident: Mapped[Incident] = relationship(back_populates="events")

    __table_args__ = (
        Index("ix_timeline_events_when", "incident_id", "occurred_at"),
        Index("ix_timeline_events_kind", "kind", "incident_id", "occurred_at"),  # the review
    )


class HandoverRequest(Base):
    """Someone asks for a role another person holds; the holder or the Commander answers.

    The first answer wins (a conditional update on ``decision``); a request nobody
    answers lapses at ``expires_at``.
    """

    __tablename__ = "handover_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    candidate: Mapped[str] = mapped_column(String(32))  # who would take the role
    requested_by: Mapped[str] = mapped_column(String(32))
    holder: Mapped[str | None] = mapped_column(String(32))  # whose consent it needs
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # None while open; 'handed_over', 'declined', 'lapsed' or 'superseded' once over.
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_handover_requests_open", "incident_id", "decision"),)
