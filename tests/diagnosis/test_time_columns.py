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
