"""How a data set is named, and whether this bot may read it.

``place(text, ...)`` sorts what a person typed into one of:

- ``Single``: one file or an http(s) URL, read whole as before (``datasets.Source``);
- ``Dataset``: a folder, a glob (``preds/date=2026-12-*/``) or a hive-partitioned tree of
  Parquet or CSV files on this machine, inside ``INCIDENTBOT_DATA_DIR`` when it comes
  from Slack;
- ``Bucket``: ``s3://bucket/prefix`` or ``gs://bucket/prefix``, only for buckets listed
  in ``INCIDENTBOT_DATA_BUCKETS``;
- ``Table``: ``table:NAME`` (or ``table:schema.name``) on ``INCIDENTBOT_WAREHOUSE_URL``,
  only for tables listed in ``INCIDENTBOT_WAREHOUSE_TABLES``.

Nothing is read here. A refusal names the setting that would allow the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.diagnosis.datasets import Source, SourceError, inside, locate, on_this_machine
from bot.diagnosis.limits import Limits
from bot.diagnosis.sources.allowed import (
    BUCKET_NAME,
    BUCKETS,
    TABLE_NAME,
    TABLES,
    WAREHOUSE,
    Places,
)

_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .-]{0,62}$")
_GLOB = re.compile(r"[*?\[]")
_SPAN = re.compile(r"^(\d{1,4})(m|h|d|w)$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
STORES = ("s3", "gs")


@dataclass(frozen=True)
class Single:
    """One file or URL: the exact path, as before."""

    source: Source

    @property
    def text(self) -> str:
        return self.source.text


@dataclass(frozen=True)
class Dataset:
    """Parquet or CSV files on this machine: a folder (partitions below it are read), a
    glob, or one large file."""

    text: str
    root: Path  # the folder (or the file) the dataset starts at
    pattern: str | None = None  # a glob below ``root``
    confined: Path | None = None  # the data folder no file may lead out of (from Slack)


@dataclass(frozen=True)
class Bucket:
    text: str
    store: str  # "s3" or "gs"
    bucket: str
    prefix: str  # without the leading slash; a folder, or one object


@dataclass(frozen=True)
class Table:
    text: str
    name: str  # as typed: name or schema.name

    @property
    def schema(self) -> str | None:
        return self.name.split(".")[0] if "." in self.name else None

    @property
    def table(self) -> str:
        return self.name.split(".")[-1]


Place = Single | Dataset | Bucket | Table


def place(
    text: str,
    places: Places,
    data_dir: Path | None,
    limits: Limits | None = None,
    *,
    here: bool = False,
) -> Place:
    """Where ``text`` points and whether it may be read; ``here`` for the command line
    (the person running it owns the files, so any local path they can read is read)."""
    limits = limits or Limits()
    text = text.strip()
    lowered = text.lower()
    if lowered.startswith("table:"):
        return _table(text, places)
    store = lowered.split("://", 1)[0] if "://" in lowered else None
    if store in STORES:
        return _bucket(text, store, places)
    if store is not None or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+:", text):
        return Single(locate(text, None, limits) if not here else on_this_machine(text, limits))
    return _local(text, data_dir, limits, here=here)


def _table(text: str, places: Places) -> Table:
    name = text.split(":", 1)[1].strip()
    if not TABLE_NAME.match(name):
        raise SourceError(
            f"{text}: a table is named table:NAME or table:schema.name (letters, digits and "
            "underscores)."
        )
    if not places.warehouse_url:
        raise SourceError(f"{text}: this bot reads no warehouse ({WAREHOUSE} is not set).")
    if name.lower() not in places.tables:
        raise SourceError(
            f"{text}: the table {name} is not one this bot may read; add it to {TABLES}."
        )
    return Table(text, name)


def _bucket(text: str, store: str, places: Places) -> Bucket:
    rest = text.split("://", 1)[1]
    bucket, _, prefix = rest.partition("/")
    if not BUCKET_NAME.match(bucket):
        raise SourceError(f"{text}: {bucket!r} is not a bucket name.")
    if ".." in prefix.split("/"):
        raise SourceError(f"{text}: a prefix may not climb out with '..'.")
    if bucket not in places.buckets:
        raise SourceError(
            f"{text}: the bucket {bucket} is not one this bot may read; add it to {BUCKETS}."
        )
    return Bucket(text, store, bucket, prefix.strip("/"))


def _local(text: str, data_dir: Path | None, limits: Limits, *, here: bool) -> Place:
    pattern: str | None = None
    head = text
    if _GLOB.search(text):
        parts = Path(text).parts
        first = next(i for i, part in enumerate(parts) if _GLOB.search(part))
        head = str(Path(*parts[:first])) if first else "."
        pattern = str(Path(*parts[first:]))
    base = Path(head).expanduser()
    if here:
        if not base.exists() and not base.is_absolute() and data_dir is not None:
            base = data_dir / base
    else:
        if data_dir is None:
            raise SourceError(
                f"{text} is not an http(s) URL, and this bot reads no local files "
                "(INCIDENTBOT_DATA_DIR is not set)."
            )
        root = data_dir.resolve()
        if base.is_absolute() and not inside(base, root):
            raise SourceError(f"{text} is outside the data folder; give a path inside it.")
        base = base if base.is_absolute() else root / base
        if not inside(base.resolve(), root):
            raise SourceError(f"{text} leads outside the data folder; it is not read.")
    try:
        is_file, is_dir = pattern is None and base.is_file(), base.is_dir()
    except OSError as exc:  # a name too long for the file system, say
        raise SourceError(f"{text[:120]} cannot be read here ({exc.strerror}).") from None
    if is_file:
        if base.stat().st_size <= limits.max_bytes:
            return Single(
                on_this_machine(str(base), limits) if here else locate(text, data_dir, limits)
            )
        return Dataset(text, base.resolve(), confined=None if here else data_dir)
    if not is_dir:
        where = "" if here else " in the data folder"
        raise SourceError(f"{text}: there is no such file{where}.")
    if pattern is not None and ".." in Path(pattern).parts:
        raise SourceError(f"{text}: a pattern may not climb out with '..'.")
    return Dataset(text, base.resolve(), pattern, None if here else data_dir)


@dataclass(frozen=True)
class Window:
    """Which rows of a source are compared: ``--time-column ts --window 1h --against 7d``
    (or ``--against previous``) and ``--where column=value`` pairs."""

    time_column: str | None = None
    span: timedelta | None = None
    against: timedelta | None = None  # how far back the reference window starts
    where: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def timed(self) -> bool:
        return self.time_column is not None

    @property
    def restricts(self) -> bool:
        """Whether only some rows are compared (a time window or ``--where``)."""
        return self.timed or bool(self.where)

    def described(self, until: datetime) -> dict[str, Any] | None:
        """The rows as the command's options give them (``time_column``, ``window``,
        ``against``, ``where`` as column=value, ``until``: where the current window ended),
        so that the same rows can be asked for again; None for all the rows."""
        if not self.timed and not self.where:
            return None
        rows: dict[str, Any] = {"where": [f"{column}={value}" for column, value in self.where]}
        if self.timed:
            assert self.span is not None and self.against is not None
            rows.update(
                time_column=self.time_column,
                window=_span_text(self.span),
                against=_span_text(self.against),
                until=until.astimezone(UTC).isoformat(timespec="seconds"),
            )
        return rows

    def bounds(self, now: datetime) -> dict[str, tuple[datetime, datetime]]:
        """Each side's [start, end) (the current window ends at ``now``)."""
        assert self.span is not None and self.against is not None
        current = (now - self.span, now)
        return {
            "reference": (current[0] - self.against, current[1] - self.against),
            "current": current,
        }


def window(
    time_column: str | None,
    span: str | None,
    against: str | None,
    where: list[str] | tuple[str, ...] = (),
) -> Window:
    """The window a person asked for, checked; SourceError says what to write instead."""
    pairs: list[tuple[str, str]] = []
    for given in where:
        column, equals, value = given.partition("=")
        column = column.strip()
        if not equals or not _COLUMN.match(column):
            raise SourceError(
                f"--where {given[:60]!r}: give column=value (one column, one value; no SQL)."
            )
        pairs.append((column, value.strip()))
    if time_column is None:
        if span is not None or against is not None:
            raise SourceError("--window and --against need --time-column, the rows' time.")
        return Window(where=tuple(pairs))
    if not _COLUMN.match(time_column):
        raise SourceError(f"--time-column {time_column[:60]!r} is not a column name.")
    length = _span(span or "1h", "--window")
    if against is None or against.strip().lower() == "previous":
        back = length
    else:
        back = _span(against, "--against")
        if back < length:
            raise SourceError(
                f"--against {against} is shorter than the window ({span}): the two windows "
                "would overlap."
            )
    return Window(time_column, length, back, tuple(pairs))


def _span(text: str, option: str) -> timedelta:
    match = _SPAN.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise SourceError(
            f"{option} {text[:20]!r}: give a length such as 15m, 1h, 7d or 2w"
            + (" (or previous)." if option == "--against" else ".")
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _span_text(span: timedelta) -> str:
    """A length as ``--window`` takes it, in days, hours or minutes (the largest that
    says it exactly: a week reads ``7d``, as people give it)."""
    minutes = int(span.total_seconds() // 60)
    for unit, size in (("d", 24 * 60), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"
