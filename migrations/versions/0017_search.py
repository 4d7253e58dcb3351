"""Incident titles and timeline text are searched through an index (FTS5 on SQLite, GIN on
PostgreSQL), so the console's search reads matches, not two million events

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 15:20:00
"""
from collections.abc import Sequence

from alembic import op

from bot.store import search

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    search.install(op.get_bind())


def downgrade() -> None:
    search.remove(op.get_bind())
