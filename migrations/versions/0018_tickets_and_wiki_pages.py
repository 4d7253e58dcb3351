"""Action items followed up in a tracker (tickets, the daily poll, overdue nudges), the
wiki page each post-mortem is published to, and whether a private incident's title may
show there

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 17:32:15.861381
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('published_pages',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_published_pages_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_published_pages'))
    )
    op.create_table('tracked_actions',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=32), nullable=True),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ticket', sa.String(length=16), nullable=True),
    sa.Column('asked_by', sa.String(length=32), nullable=True),
    sa.Column('provider', sa.String(length=16), nullable=True),
    sa.Column('label', sa.String(length=64), nullable=True),
    sa.Column('ticket_key', sa.String(length=64), nullable=True),
    sa.Column('ticket_url', sa.String(length=500), nullable=True),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('check_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('nudge_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('nudges', sa.Integer(), nullable=False),
    sa.Column('card_ts', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_tracked_actions_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['timeline_events.id'], name=op.f('fk_tracked_actions_item_id_timeline_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_tracked_actions'))
    )
    with op.batch_alter_table('tracked_actions', schema=None) as batch_op:
        batch_op.create_index('ix_tracked_actions_check', ['check_due_at'], unique=False)
        batch_op.create_index('ix_tracked_actions_incident', ['incident_id'], unique=False)
        batch_op.create_index('ix_tracked_actions_nudge', ['nudge_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracked_actions_ticket_key'), ['ticket_key'], unique=False)

    # Not a batch, which rebuilds the table on SQLite and trips over 0017's search
    # triggers: both databases add a column with a default in place.
    op.add_column(
        'incidents',
        sa.Column('title_shared', sa.Boolean(), server_default=sa.false(), nullable=False),
    )



def downgrade() -> None:
    # In place too (SQLite drops a column so since 3.35).
    op.drop_column('incidents', 'title_shared')

    with op.batch_alter_table('tracked_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracked_actions_ticket_key'))
        batch_op.drop_index('ix_tracked_actions_nudge')
        batch_op.drop_index('ix_tracked_actions_incident')
        batch_op.drop_index('ix_tracked_actions_check')

    op.drop_table('tracked_actions')
    op.drop_table('published_pages')
