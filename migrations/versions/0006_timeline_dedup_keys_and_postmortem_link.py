"""Timeline dedup keys (a :pushpin: retried by Slack is recorded once) and the post-mortem link

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 18:19:32.566709
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postmortem_url', sa.String(length=500), nullable=True))

    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedup_key', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_timeline_events_dedup_key'), ['dedup_key'])


def downgrade() -> None:
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_timeline_events_dedup_key'), type_='unique')
        batch_op.drop_column('dedup_key')

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('postmortem_url')
