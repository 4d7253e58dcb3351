"""Tabletop drills: an incident's scenario and clock, and its injects

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 17:50:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drill', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('drill_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('drill_paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('drill_paused_seconds', sa.Float(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('drill_ended_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'drill_injects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('offset_seconds', sa.Float(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['incident_id'], ['incidents.id'],
            name=op.f('fk_drill_injects_incident_id_incidents'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_injects')),
    )
    with op.batch_alter_table('drill_injects', schema=None) as batch_op:
        batch_op.create_index('ix_drill_injects_pending', ['sent_at', 'incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('drill_injects', schema=None) as batch_op:
        batch_op.drop_index('ix_drill_injects_pending')
    op.drop_table('drill_injects')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('drill_ended_at')
        batch_op.drop_column('drill_paused_seconds')
        batch_op.drop_column('drill_paused_at')
        batch_op.drop_column('drill_started_at')
        batch_op.drop_column('drill')
