"""A window's bounds are compared with a time column as its type holds times."""

from __future__ import annotations

import pytest

from bot.diagnosis.sources.engines import without_zone


@pytest.mark.parametrize(
    ("sql_type", "naive"),
    [
        ("timestamp without time zone", True),  # PostgreSQL
        ("timestamp", True),  # DuckDB
        ("timestamp_ns", True),  # DuckDB, as pandas writes a table (the docs' example)
        ("timestamp_ms", True),
        ("timestamp_s", True),
        ("timestamp_ntz", True),  # Snowflake
        ("datetime", True),  # BigQuery
        ("timestamp with time zone", False),
        ("timestamptz", False),
        ("timestamp_tz", False),
        ("timestamp_ltz", False),
    ],
)
def test_a_time_column_without_a_zone_is_compared_in_utc_without_one(
    sql_type: str, naive: bool
) -> None:
    assert without_zone(sql_type) is naive


def test_a_name_too_long_for_the_file_system_is_refused_in_words(tmp_path) -> None:
    """It raised OSError, which reached the channel as 'something went wrong'."""
    from bot.diagnosis.datasets import SourceError
    from bot.diagnosis.sources.allowed import Places
    from bot.diagnosis.sources.places import place

    with pytest.raises(SourceError, match="cannot be read here"):
        place("x" * 300 + ".csv", Places(), tmp_path)


def test_a_window_past_the_calendar_is_refused_in_words() -> None:
    """--until 0001-01-01 raised OverflowError for a table: 'the analysis failed'."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from bot.diagnosis.datasets import SourceError
    from bot.diagnosis.sources.engines import _side
    from bot.diagnosis.sources.places import Window

    table = sa.table("predictions", sa.column("ts"), sa.column("score"))
    early = Window("ts", timedelta(hours=1), timedelta(days=7))
    with pytest.raises(SourceError, match="before year 1 or after 9999"):
        _side("reference", table, early, datetime(1, 1, 2, tzinfo=UTC), {}, lambda _: [])


def test_a_folder_naming_too_many_files_is_refused_before_they_are_opened(
    tmp_path, monkeypatch
) -> None:
    """A bucket prefix or a '**' pattern had no bound: each file's footer was read."""
    from bot.diagnosis.datasets import SourceError
    from bot.diagnosis.sources import engines
    from bot.diagnosis.sources.allowed import Places
    from bot.diagnosis.sources.places import place

    monkeypatch.setattr(engines, "MAX_FILES", 3)
    for day in range(4):
        (tmp_path / f"day={day}.csv").write_text("a,b\n1,2\n")
    wide = place(str(tmp_path), Places(), None, here=True)
    with pytest.raises(SourceError, match="names more than 3 files; give a narrower"):
        engines._dataset(wide, Places())
