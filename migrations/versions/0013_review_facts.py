"""The review's reads: what each incident's events left behind, on the incident, and how it
was found; timeline events by kind, incidents by when they were declared

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.incidents.facts.PEOPLE_AT_WORK was when this migration was written.
PEOPLE_AT_WORK = (
    'action_item', 'containment_run', 'model_rolled_back', 'note', 'resolved', 'role_assigned',
    'role_handed_over', 'runbook_item_checked', 'severity_changed', 'status_update',
    'triage_answered', 'triage_note', 'triage_proposal_accepted', 'triage_proposal_declined',
)
NEW = (
    'first_alert_at', 'acknowledged_at', 'mitigated_at', 'postmortem_published_at',
    'first_notice_at',
)


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        for name in NEW:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('updates_sent', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('updates_late', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('triage_cause', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('detection', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_incidents_declared_at', ['declared_at'], unique=False)
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.create_index(
            'ix_timeline_events_kind', ['kind', 'incident_id', 'occurred_at'], unique=False
        )
    _fill_in()


def _fill_in() -> None:
    """The new columns for incidents recorded before, from their timelines. Whether their
    updates were on cadence is not known (updates_late stays NULL)."""
    incidents = sa.table(
        'incidents', *(sa.column(n, sa.DateTime) for n in (*NEW, 'declared_at')),
        sa.column('id', sa.Integer), sa.column('declared_by', sa.String),
        sa.column('updates_sent', sa.Integer), sa.column('triage_cause', sa.String),
    )
    events = sa.table(
        'timeline_events', sa.column('id', sa.Integer), sa.column('incident_id', sa.Integer),
        sa.column('kind', sa.String), sa.column('actor', sa.String),
        sa.column('occurred_at', sa.DateTime), sa.column('data', sa.JSON),
    )
    e, i = events.c, incidents.c

    def of(*conditions: object, what: object = None) -> sa.ScalarSelect:
        picked = what if what is not None else sa.func.min(e.occurred_at)
        return sa.select(picked).where(e.incident_id == i.id, *conditions).scalar_subquery()

    better = sa.and_(
        e.kind == 'triage_answered',
        e.data['question'].as_string() == 'trend',
        e.data['answer'].as_string() == 'better',
    )
    mitigating = sa.or_(
        e.kind.in_(('alerts_all_resolved', 'model_rolled_back')),
        better,
        sa.and_(e.kind == 'containment_run', e.data['ok'].as_boolean().is_(True)),
    )
    person = sa.and_(
        e.kind.in_(PEOPLE_AT_WORK), e.actor.is_not(None), e.occurred_at >= i.declared_at
    )
    last_cause = (
        sa.select(e.data['cause'].as_string())
        .where(e.incident_id == i.id, e.kind == 'triage_proposed')
        .order_by(e.occurred_at.desc(), e.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(
        incidents.update().values(
            first_alert_at=of(e.kind == 'alert_fired'),
            acknowledged_at=sa.case(
                (i.declared_by.is_not(None), i.declared_at), else_=of(person)
            ),
            mitigated_at=of(mitigating),
            postmortem_published_at=of(e.kind == 'postmortem_published'),
            first_notice_at=of(e.kind == 'status_update'),
            updates_sent=of(e.kind == 'status_update', what=sa.func.count()),
            triage_cause=last_cause,
        )
    )


def downgrade() -> None:
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.drop_index('ix_timeline_events_kind')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_declared_at')
        for name in (*NEW, 'updates_sent', 'updates_late', 'triage_cause', 'detection'):
            batch_op.drop_column(name)
