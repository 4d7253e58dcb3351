"""Alembic environment: runs the migrations against ``sqlalchemy.url``."""

from __future__ import annotations

from alembic import context

from bot.store.db import make_engine
from bot.store.models import Base
from bot.store.search import SKIPPED

config = context.config


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """The search indexes are built by hand (bot/store/search.py): not the models' to compare."""
    return name not in SKIPPED


target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite needs batch mode to alter tables
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
