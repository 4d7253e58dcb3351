"""Received slash commands, stored before they are acknowledged and replayed after a crash

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 14:05:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'received_commands',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('lease_holder', sa.String(length=64), nullable=True),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_received_commands')),
    )
    with op.batch_alter_table('received_commands', schema=None) as batch_op:
        batch_op.create_index('ix_received_commands_open', ['done_at', 'received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('received_commands', schema=None) as batch_op:
        batch_op.drop_index('ix_received_commands_open')
    op.drop_table('received_commands')
