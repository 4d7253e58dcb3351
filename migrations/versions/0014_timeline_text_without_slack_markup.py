"""Timeline events keep plain words, not Slack text: mentions become @IDs (the people are
told from the events' fields), pinned messages lose emoji codes and emphasis marks

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 18:10:00.000000
"""
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.slack.blocks.text read Slack messages when this migration was written.
MENTION = re.compile(r'<@([UW][A-Z0-9]+)(?:\|[^>]*)?>')
EMOJI = re.compile(r"(?<![\w:]):[a-z0-9_+'-]*[a-z][a-z0-9_+'-]*:(?!\w)\s?")
EMPHASIS = [
    re.compile(rf'(?<![\w{m}]){re.escape(m)}(?=\S)([^\n]+?)(?<=\S){re.escape(m)}(?![\w{m}])')
    for m in '*_~'
]
BATCH = 1000


def plain(kind: str, text: str) -> str:
    words = MENTION.sub(r'@\1', text)
    if kind == 'pinned_message':
        words = EMOJI.sub('', words)
        for pattern in EMPHASIS:
            words = pattern.sub(r'\1', words)
        words = words.strip() or '(no text)'
    return words


def upgrade() -> None:
    events = sa.table(
        'timeline_events',
        sa.column('id', sa.Integer),
        sa.column('kind', sa.String),
        sa.column('text', sa.Text),
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(events.c.id, events.c.kind, events.c.text)
            .where(
                events.c.id > last,
                sa.or_(events.c.text.contains('<@'), events.c.kind == 'pinned_message'),
            )
            .order_by(events.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        changed = [
            {'row_id': row.id, 'words': plain(row.kind, row.text)}
            for row in rows
            if plain(row.kind, row.text) != row.text
        ]
        if changed:
            conn.execute(
                events.update()
                .where(events.c.id == sa.bindparam('row_id'))
                .values(text=sa.bindparam('words')),
                changed,
            )
        last = rows[-1].id


def downgrade() -> None:
    """Nothing to undo: plain words read well to the older code too (it escaped them)."""
