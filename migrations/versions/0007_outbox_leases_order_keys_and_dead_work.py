"""Outbox leases, order keys and dead work (one refused Slack call no longer blocks the rest)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 13:55:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('slack_effects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lease_holder', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('error_code', sa.String(length=64), nullable=True))
        batch_op.drop_column('claimed_at')


def downgrade() -> None:
    with op.batch_alter_table('slack_effects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('error_code')
        batch_op.drop_column('dead_at')
        batch_op.drop_column('lease_holder')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('order_key')
