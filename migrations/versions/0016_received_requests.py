"""Every request from Slack is kept before its acknowledgement (not only slash commands),
and the keys of requests seen are kept in the database, so a replay is refused by every
replica, not only the one that saw it first

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:05:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'received_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('lease_holder', sa.String(length=64), nullable=True),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_received_requests')),
    )
    with op.batch_alter_table('received_requests', schema=None) as batch_op:
        batch_op.create_index('ix_received_requests_open', ['done_at', 'received_at'], unique=False)
    # Commands an older release acknowledged and did not finish are still owed; the ones
    # it finished are history and are not carried over.
    op.execute(
        "INSERT INTO received_requests (kind, body, received_at, attempts, lease_until, "
        "lease_holder, done_at) SELECT 'command', body, received_at, attempts, lease_until, "
        "lease_holder, done_at FROM received_commands WHERE done_at IS NULL"
    )
    with op.batch_alter_table('received_commands', schema=None) as batch_op:
        batch_op.drop_index('ix_received_commands_open')
    op.drop_table('received_commands')

    op.create_table(
        'seen_requests',
        sa.Column('key', sa.String(length=96), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_seen_requests')),
    )
    with op.batch_alter_table('seen_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_requests_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('seen_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_requests_expires_at'))
    op.drop_table('seen_requests')
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
    op.execute(
        "INSERT INTO received_commands (body, received_at, attempts, lease_until, lease_holder, "
        "done_at) SELECT body, received_at, attempts, lease_until, lease_holder, done_at "
        "FROM received_requests WHERE kind = 'command' AND done_at IS NULL"
    )
    with op.batch_alter_table('received_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_received_requests_open')
    op.drop_table('received_requests')
