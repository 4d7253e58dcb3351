"""Words searched in incident titles and timeline text, through each database's own index.

SQLite keeps two FTS5 tables (``title_search`` over ``incidents.title``,
``timeline_search`` over ``timeline_events.text``), each an index of the column it
reads (external content), kept current by triggers. PostgreSQL keeps a GIN index on
``to_tsvector('simple', …)`` of each column. Both match whole words, any case, every
word given (``fraud recall`` finds text with both); a word is letters and digits.
Migration 0017 builds them; the ORM models do not describe them, so the schema
comparison leaves their names alone (``SKIPPED``).
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, bindparam, column, or_, select, table, text
from sqlalchemy.engine import Connection

from bot.store.models import Incident, TimelineEvent

MOST_WORDS = 8
LONGEST_WORD = 60
_WORD = re.compile(r"\w+", re.UNICODE)

_SQLITE_TABLES = {
    "timeline_search": ("timeline_events", "text"),
    "title_search": ("incidents", "title"),
}
_POSTGRES_INDEXES = {
    "ix_timeline_events_search": ("timeline_events", "text"),
    "ix_incidents_title_search": ("incidents", "title"),
}
# Tables FTS5 makes for each index, besides the index itself.
_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")
SKIPPED = frozenset(
    {*_SQLITE_TABLES, *(t + s for t in _SQLITE_TABLES for s in _SHADOWS), *_POSTGRES_INDEXES}
)


def words(query: str) -> list[str]:
    """The words of what a person typed, lowercased, at most ``MOST_WORDS``."""
    return [w[:LONGEST_WORD] for w in _WORD.findall(query.lower())][:MOST_WORDS]


def matching(dialect: str, found: list[str]) -> ColumnElement[bool]:
    """Incidents whose title, or one of whose events, has every word in ``found``."""
    if dialect == "sqlite":
        # Each word quoted: FTS5 reads it as a term, never as an operator.
        terms = " ".join(f'"{w}"' for w in found)
        title_index = table("title_search", column("rowid"))
        event_index = table("timeline_search", column("rowid"))
        titles = select(title_index.c.rowid).where(
            text("title_search MATCH :title_terms").bindparams(title_terms=terms)
        )
        events = (
            select(TimelineEvent.incident_id)
            .join_from(event_index, TimelineEvent, TimelineEvent.id == event_index.c.rowid)
            .where(text("timeline_search MATCH :event_terms").bindparams(event_terms=terms))
        )
    else:
        spoken = " ".join(found)
        titles = select(Incident.id).where(_pg_match("incidents.title", "title_words", spoken))
        events = select(TimelineEvent.incident_id).where(
            _pg_match("timeline_events.text", "event_words", spoken)
        )
    return or_(Incident.id.in_(titles), Incident.id.in_(events))


def _pg_match(column: str, name: str, spoken: str) -> ColumnElement[bool]:
    condition = f"to_tsvector('simple', {column}) @@ plainto_tsquery('simple', :{name})"
    return text(condition).bindparams(bindparam(name, spoken))  # type: ignore[return-value]


def install(connection: Connection) -> None:
    """Build the indexes over what is already stored (migration 0017)."""
    if connection.dialect.name == "sqlite":
        for name, (table, column) in _SQLITE_TABLES.items():
            for statement in _sqlite_ddl(name, table, column):
                connection.execute(text(statement))
    else:
        for name, (table, column) in _POSTGRES_INDEXES.items():
            connection.execute(
                text(f"CREATE INDEX {name} ON {table} USING gin (to_tsvector('simple', {column}))")
            )


def remove(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for name in _SQLITE_TABLES:
            for suffix in ("insert", "delete", "update"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {name}_{suffix}"))
            connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
    else:
        for name in _POSTGRES_INDEXES:
            connection.execute(text(f"DROP INDEX IF EXISTS {name}"))


def _sqlite_ddl(name: str, table: str, column: str) -> list[str]:
    add = f"INSERT INTO {name}(rowid, {column}) VALUES (new.id, new.{column});"
    drop = f"INSERT INTO {name}({name}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
    return [
        f"CREATE VIRTUAL TABLE {name} USING fts5({column}, content='{table}', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {drop} END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE OF {column} ON {table} BEGIN {drop} {add} END",
        f"INSERT INTO {name}({name}) VALUES ('rebuild')",
    ]
