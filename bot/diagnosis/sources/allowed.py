"""Where data may live besides one file: the settings' side of ``places``, read at
start-up (so nothing heavy is imported here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

BUCKETS = "INCIDENTBOT_DATA_BUCKETS"
ENDPOINT = "INCIDENTBOT_S3_ENDPOINT_URL"
WAREHOUSE = "INCIDENTBOT_WAREHOUSE_URL"
TABLES = "INCIDENTBOT_WAREHOUSE_TABLES"
TIMEOUT = "INCIDENTBOT_WAREHOUSE_TIMEOUT"

TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class Places:
    """Where data may live besides one file (``INCIDENTBOT_DATA_BUCKETS`` and the
    ``INCIDENTBOT_WAREHOUSE_*`` settings)."""

    buckets: frozenset[str] = frozenset()
    s3_endpoint: str | None = None  # an S3-compatible store instead of AWS
    warehouse_url: str | None = None
    tables: frozenset[str] = frozenset()  # lower-cased, as given (schema.name or name)
    timeout: float = 60.0  # seconds one warehouse statement may run

    @classmethod
    def parse(
        cls,
        buckets: str | None,
        endpoint: str | None,
        warehouse: str | None,
        tables: str | None,
        timeout: str | None,
    ) -> Places:
        """From the settings' text; ValueError says which is wrong and how to write it."""
        named = _names(buckets)
        for bucket in named:
            if not BUCKET_NAME.match(bucket):
                raise ValueError(
                    f"{BUCKETS} has {bucket!r}, which is not a bucket name (3 to 63 lower-case "
                    "letters, digits, dots and dashes); list bucket names joined by commas."
                )
        listed = _names(tables)
        for table in listed:
            if not TABLE_NAME.match(table):
                raise ValueError(
                    f"{TABLES} has {table!r}, which is not a table name (name or "
                    "schema.name: letters, digits and underscores)."
                )
        if endpoint and not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"{ENDPOINT} {endpoint!r} is not an http(s) URL.")
        if warehouse and "://" not in warehouse:
            raise ValueError(
                f"{WAREHOUSE} {warehouse!r} is not a SQLAlchemy URL "
                "(postgresql://user@host/db, duckdb:///path/to/file.duckdb…)."
            )
        if listed and not warehouse:
            raise ValueError(f"{TABLES} is set but {WAREHOUSE} is not: name the warehouse.")
        seconds = 60.0
        if timeout:
            try:
                seconds = float(timeout)
            except ValueError:
                seconds = 0.0
            if not 0 < seconds <= 3600:
                raise ValueError(f"{TIMEOUT} is {timeout!r}; give seconds, from 1 to 3600.")
        return cls(
            frozenset(named),
            endpoint or None,
            warehouse or None,
            frozenset(t.lower() for t in listed),
            seconds,
        )


def _names(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]
