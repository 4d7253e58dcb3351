"""The database schema: incidents, who holds which role, and the timeline.

The timeline is the spine (ARCHITECTURE.md): every change to an incident is a
``TimelineEvent`` written in the same transaction as the state it changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Alembic names constraints from this, so SQLite and PostgreSQL agree.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on every database.

    SQLite has no time zones and hands back naive values; this restores UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


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


class ReceivedCommand(Base):
    """A slash command, stored before Slack gets its acknowledgement.

    Marked done in the same transaction as the change it asked for, so a command
    whose process died before finishing is replayed (``bot.outbox.commands``), and
    one that finished is not.
    """

    __tablename__ = "received_commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    lease_holder: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_received_commands_open", "done_at", "received_at"),)


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
