"""Private incidents, and requests for a role someone else holds

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 16:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('private', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        'handover_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('candidate', sa.String(length=32), nullable=False),
        sa.Column('requested_by', sa.String(length=32), nullable=False),
        sa.Column('holder', sa.String(length=32), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('channel_id', sa.String(length=32), nullable=True),
        sa.Column('message_ts', sa.String(length=32), nullable=True),
        sa.Column('decision', sa.String(length=16), nullable=True),
        sa.Column('decided_by', sa.String(length=32), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['incident_id'], ['incidents.id'],
            name=op.f('fk_handover_requests_incident_id_incidents'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_handover_requests')),
    )
    with op.batch_alter_table('handover_requests', schema=None) as batch_op:
        batch_op.create_index('ix_handover_requests_open', ['incident_id', 'decision'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handover_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_handover_requests_open')
    op.drop_table('handover_requests')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('private')
