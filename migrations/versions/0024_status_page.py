"""The status page's publications

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('public_incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('impact', sa.String(length=16), nullable=False),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('statuspage_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_public_incidents_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_incidents')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_public_incidents_incident_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_public_incidents_public_id'))
    )
    op.create_index('ix_public_incidents_resolved_at', 'public_incidents', ['resolved_at'], unique=False)
    op.create_index('ix_public_incidents_started_at', 'public_incidents', ['started_at'], unique=False)
    op.create_table('public_component_impacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_incident_id', sa.Integer(), nullable=False),
    sa.Column('component', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['public_incident_id'], ['public_incidents.id'], name=op.f('fk_public_component_impacts_public_incident_id_public_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_component_impacts'))
    )
    op.create_index('ix_public_component_impacts_ended_at', 'public_component_impacts', ['ended_at'], unique=False)
    op.create_index('ix_public_component_impacts_open', 'public_component_impacts', ['public_incident_id', 'ended_at'], unique=False)
    op.create_table('public_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_incident_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['public_incident_id'], ['public_incidents.id'], name=op.f('fk_public_updates_public_incident_id_public_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_updates'))
    )
    op.create_index('ix_public_updates_story', 'public_updates', ['public_incident_id', 'published_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_public_updates_story', table_name='public_updates')
    op.drop_table('public_updates')
    op.drop_index('ix_public_component_impacts_open', table_name='public_component_impacts')
    op.drop_index('ix_public_component_impacts_ended_at', table_name='public_component_impacts')
    op.drop_table('public_component_impacts')
    op.drop_index('ix_public_incidents_started_at', table_name='public_incidents')
    op.drop_index('ix_public_incidents_resolved_at', table_name='public_incidents')
    op.drop_table('public_incidents')
