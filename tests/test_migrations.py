"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.db import make_engine
from bot.migrate import alembic_config, is_current, upgrade
from bot.models import Base


def test_upgrade_on_a_fresh_database_matches_the_models(database_url: str) -> None:
    assert not is_current(database_url)
    upgrade(database_url)
    assert is_current(database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"incidents", "role_assignments", "timeline_events"} <= tables


def test_downgrade_and_upgrade_again(database_url: str) -> None:
    upgrade(database_url)
    command.downgrade(alembic_config(database_url), "base")
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert "incidents" not in inspect(conn).get_table_names()
    engine.dispose()
    upgrade(database_url)
    assert is_current(database_url)
