"""PagerDuty deliveries deduplicated by the event they carry, kept in order per incident, and set aside after a few failed attempts instead of holding back the ones after them

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 17:51:01.217243
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('pager_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('subject', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_pager_deliveries_event_id'), ['event_id'])



def downgrade() -> None:
    with op.batch_alter_table('pager_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_pager_deliveries_event_id'), type_='unique')
        batch_op.drop_column('dead_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')
        batch_op.drop_column('subject')
        batch_op.drop_column('event_id')

