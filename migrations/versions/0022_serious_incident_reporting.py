"""Serious-incident reporting: assessments, the reporting clock, reports, evidence,
the timeline's hash chain

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 20:00:00
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.store.timeline_hash was when this migration was written: the chain's content in
# one canonical form (the bot's code must keep giving the same hash for the same event).
GENESIS = "0" * 64


def _when(value):
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hash(previous, incident_id, kind, occurred_at, actor, text, data):
    if isinstance(data, str):
        data = json.loads(data)
    kept = {k: v for k, v in (data or {}).items() if k != "pinned_by"}
    content = "\x1f".join(
        (
            previous,
            str(incident_id),
            kind,
            _when(occurred_at),
            actor or "",
            text or "",
            json.dumps(
                kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
            ),
        )
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.create_table(
        "timeline_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_timeline_chain_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_chain")),
        sa.UniqueConstraint("incident_id", "seq", name="uq_timeline_chain_seq"),
    )
    op.create_index("ix_timeline_chain_event", "timeline_chain", ["event_id"], unique=False)
    op.create_table(
        "timeline_chain_heads",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_timeline_chain_heads_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_timeline_chain_heads")),
    )
    op.create_table(
        "serious_cases",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("regime", sa.String(length=40), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_by", sa.String(length=32), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("aware_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_days", sa.Integer(), nullable=True),
        sa.Column("deadline_reason", sa.String(length=200), nullable=True),
        sa.Column("next_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("initial_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("initial_sent_by", sa.String(length=32), nullable=True),
        sa.Column("initial_reference", sa.String(length=200), nullable=True),
        sa.Column("complete_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complete_sent_by", sa.String(length=32), nullable=True),
        sa.Column("complete_reference", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_serious_cases_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_serious_cases")),
    )
    op.create_index(
        "ix_serious_cases_next_reminder", "serious_cases", ["next_reminder_at"], unique=False
    )
    op.create_table(
        "evidence_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_evidence_records_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_records")),
    )
    op.create_index(
        "ix_evidence_records_incident", "evidence_records", ["incident_id"], unique=False
    )
    _back_fill()


def _back_fill() -> None:
    """Chain every existing event, incident by incident, in the order they were written."""
    conn = op.get_bind()
    events = sa.table(
        "timeline_events",
        sa.column("id", sa.Integer),
        sa.column("incident_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String),
        sa.column("text", sa.Text),
        sa.column("data", sa.JSON),
    )
    chain = sa.table(
        "timeline_chain",
        sa.column("incident_id", sa.Integer),
        sa.column("seq", sa.Integer),
        sa.column("event_id", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    heads = sa.table(
        "timeline_chain_heads",
        sa.column("incident_id", sa.Integer),
        sa.column("seq", sa.Integer),
        sa.column("hash", sa.String),
    )
    rows = conn.execute(
        sa.select(
            events.c.id,
            events.c.incident_id,
            events.c.kind,
            events.c.occurred_at,
            events.c.actor,
            events.c.text,
            events.c.data,
        )
        .order_by(events.c.incident_id, events.c.id)
        .execution_options(stream_results=True, yield_per=5000)  # a server-side cursor
    )
    links: list[dict] = []
    state: dict[int, tuple[int, str]] = {}
    for row in rows:
        seq, previous = state.get(row.incident_id, (0, GENESIS))
        digest = _hash(
            previous, row.incident_id, row.kind, row.occurred_at, row.actor, row.text, row.data
        )
        links.append(
            {
                "incident_id": row.incident_id,
                "seq": seq + 1,
                "event_id": row.id,
                "prev_hash": previous,
                "hash": digest,
            }
        )
        state[row.incident_id] = (seq + 1, digest)
        if len(links) >= 5000:
            conn.execute(chain.insert(), links)
            links = []
    if links:
        conn.execute(chain.insert(), links)
    if state:
        conn.execute(
            heads.insert(),
            [{"incident_id": i, "seq": s, "hash": h} for i, (s, h) in state.items()],
        )


def downgrade() -> None:
    op.drop_index("ix_evidence_records_incident", table_name="evidence_records")
    op.drop_table("evidence_records")
    op.drop_index("ix_serious_cases_next_reminder", table_name="serious_cases")
    op.drop_table("serious_cases")
    op.drop_table("timeline_chain_heads")
    op.drop_index("ix_timeline_chain_event", table_name="timeline_chain")
    op.drop_table("timeline_chain")
