"""Names people had in Slack, remembered so that exports read outside Slack show names, not IDs

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 18:13:52.583369
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('known_names',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('learned_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_known_names'))
    )


def downgrade() -> None:
    op.drop_table('known_names')
