"""Paging: pages sent to an on-call provider, webhook deliveries back, and the incident's
first page and its acknowledgement (for the post-mortem's and the review's key times)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 07:00:45.199016
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pager_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.String(length=100), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pager_deliveries')),
    sa.UniqueConstraint('webhook_id', name=op.f('uq_pager_deliveries_webhook_id'))
    )
    with op.batch_alter_table('pager_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_pager_deliveries_pending', ['processed_at', 'received_at'], unique=False)

    op.create_table('pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('service', sa.String(length=100), nullable=False),
    sa.Column('service_name', sa.String(length=200), nullable=False),
    sa.Column('dedup_key', sa.String(length=255), nullable=False),
    sa.Column('requested_by', sa.String(length=32), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('paged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=200), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_pages_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pages')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_pages_dedup_key')),
    sa.UniqueConstraint('incident_id', 'provider', 'service', name='uq_pages_incident_service')
    )
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pages_external_id'), ['external_id'], unique=False)

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('page_acknowledged_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('page_acknowledged_at')
        batch_op.drop_column('paged_at')

    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pages_external_id'))

    op.drop_table('pages')
    with op.batch_alter_table('pager_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_pager_deliveries_pending')

    op.drop_table('pager_deliveries')
