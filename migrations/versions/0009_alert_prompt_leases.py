"""Alert prompts are drawn under a lease, and a prompt Slack refuses for good says why

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 14:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('alert_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prompt_lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('prompt_lease_holder', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('prompt_error', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_groups', schema=None) as batch_op:
        batch_op.drop_column('prompt_error')
        batch_op.drop_column('prompt_lease_holder')
        batch_op.drop_column('prompt_lease_until')
