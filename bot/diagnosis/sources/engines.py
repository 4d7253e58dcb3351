"""Opening each kind of place as something SQL can be run on, without loading it:

- files, folders, globs and buckets become Arrow datasets (``pyarrow.dataset``: Parquet
  or CSV, hive partitions, local disks, S3 and S3-compatible stores, GCS), scanned by an
  in-process DuckDB in record batches: columns and rows are filtered in the scan, and
  only the aggregates of ``summaries`` come out;
- a warehouse table is reached with SQLAlchemy on ``INCIDENTBOT_WAREHOUSE_URL``, each
  statement in a read-only transaction with a statement timeout where the dialect has
  them (PostgreSQL: ``SET TRANSACTION READ ONLY`` and ``statement_timeout``; DuckDB: the
  file opened read-only, the statement interrupted at the deadline; other dialects: the
  deadline checked by a timer that cancels the statement where the driver allows it).

Identifiers are quoted by the dialect; every value is a bound parameter.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from bot.diagnosis.datasets import SourceError, load
from bot.diagnosis.limits import Limits
from bot.diagnosis.sources import summaries
from bot.diagnosis.sources.allowed import TIMEOUT, Places
from bot.diagnosis.sources.places import Bucket, Dataset, Place, Single, Table, Window

MEMORY_LIMIT = "512MB"  # the embedded engine's working memory (it spills beyond)
THREADS = 2
CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
# The files one data set may name: a folder, prefix or pattern wider than this is refused
# before its files are opened (each costs a look at its size or its Parquet footer).
MAX_FILES = 100_000


@dataclass
class Opened:
    """One side, ready: the SQL side, its columns' kinds, how to load it whole (the exact
    path), and an estimate of what that would take."""

    side: summaries.Side
    kinds: dict[str, str]
    load: Callable[[list[str]], pd.DataFrame]
    bytes_estimate: int
    engine: str  # "sketch" (streamed through the embedded engine) or "pushdown"


@contextmanager
def opened(
    places: dict[str, Place],
    settings: Places,
    limits: Limits,
    window: Window,
    now: datetime,
) -> Iterator[dict[str, Opened]]:
    """Both sides opened (``places``: reference and current), closed on the way out."""
    with ExitStack() as stack:
        local = None
        result: dict[str, Opened] = {}
        for role, where in places.items():
            if isinstance(where, Table):
                result[role] = stack.enter_context(_table(role, where, settings, window, now))
                continue
            if local is None:
                local = stack.enter_context(_duckdb(settings.timeout))
            try:
                result[role] = _arrow(role, where, settings, limits, window, now, local)
            except SourceError:
                raise
            except Exception as exc:  # DuckDB's and Arrow's errors for damaged files
                raise SourceError(
                    f"{where.text} is not a readable dataset: {_first_line(exc)}"
                ) from None
        yield result


class _Local:
    """An in-process DuckDB: Arrow datasets and frames registered by name."""

    def __init__(self, connection: sa.Connection, timeout: float) -> None:
        self.connection, self.timeout = connection, timeout

    def runner(self, what: str) -> Callable[[sa.Executable], list[Any]]:
        """How one side's statements run: refusals name ``what``, the data set."""
        return lambda statement: self.run(statement, what)

    def run(self, statement: sa.Executable, what: str = "the data") -> list[Any]:
        raw = self.connection.connection.driver_connection
        timer = threading.Timer(self.timeout, raw.interrupt)  # type: ignore[union-attr]
        timer.start()
        try:
            return list(self.connection.execute(statement).all())
        except sa.exc.DBAPIError as exc:
            raise _refused(what, exc, self.timeout) from None
        finally:
            timer.cancel()


@contextmanager
def _duckdb(timeout: float) -> Iterator[_Local]:
    engine = sa.create_engine("duckdb:///:memory:", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f"SET memory_limit = '{MEMORY_LIMIT}'")
            connection.exec_driver_sql(f"SET threads = {THREADS}")
            yield _Local(connection, timeout)
    finally:
        engine.dispose()


def _arrow(
    role: str,
    where: Place,
    settings: Places,
    limits: Limits,
    window: Window,
    now: datetime,
    local: _Local,
) -> Opened:

    name = f"{role}_data"
    raw = local.connection.connection.driver_connection
    if isinstance(where, Single):
        frame = load(where.source, limits)
        if window.timed:
            frame = _with_times(frame, where.text, str(window.time_column))
        raw.register(name, frame)  # type: ignore[union-attr]
        columns = [str(c) for c in frame.columns]
        kinds = {str(c): _pandas_kind(frame[c]) for c in frame.columns if c != window.time_column}
        size = int(frame.memory_usage(deep=True).sum())
        table = sa.table(name, *(sa.column(c) for c in columns))
        side = _side(role, table, window, now, kinds, local.runner(where.text))

        def whole(chosen: list[str]) -> pd.DataFrame:
            return frame[chosen] if side.where is None else _rows(side, chosen)

        return Opened(side, kinds, whole, size, "sketch")
    assert not isinstance(where, Table)
    dataset = _dataset(where, settings)
    partitions = _partition_keys(dataset.files)
    if isinstance(where, Dataset) and dataset.format.default_extname == "parquet":
        # Parquet on this machine: DuckDB's own reader, row group by row group, within
        # its memory limit (Arrow's scanner reads ahead several row groups at once).
        native = raw.read_parquet(dataset.files, hive_partitioning=bool(partitions))  # type: ignore[union-attr]
        native.create_view(name)
        types = dict(zip(native.columns, (str(t).lower() for t in native.types), strict=True))
        kinds = {
            column: _sql_kind(kind)
            for column, kind in types.items()
            if column not in partitions or column == window.time_column
        }
    else:
        raw.register(name, dataset)  # type: ignore[union-attr]
        kinds = {
            field.name: _arrow_kind(field.type)
            for field in dataset.schema
            if field.name not in partitions or field.name == window.time_column
        }
    size = _estimate(dataset)
    table = sa.table(name, *(sa.column(c) for c in {*dataset.schema.names, *kinds}))
    if window.time_column is not None and window.time_column not in kinds:
        raise SourceError(f"{where.text} has no column {window.time_column!r} (--time-column).")
    kinds.pop(window.time_column or "", None)
    side = _side(role, table, window, now, kinds, local.runner(where.text))

    def whole_set(chosen: list[str]) -> pd.DataFrame:
        if side.where is not None:  # a window or --where: the engine chooses the rows
            return _rows(side, chosen)
        frame: pd.DataFrame = dataset.to_table(columns=chosen).to_pandas()
        return frame

    return Opened(side, kinds, whole_set, size, "sketch")


def _dataset(where: Dataset | Bucket, settings: Places) -> Any:
    import pyarrow.dataset as ds  # type: ignore[import-untyped]
    import pyarrow.fs as pafs  # type: ignore[import-untyped]

    if isinstance(where, Dataset):
        filesystem: Any = pafs.LocalFileSystem()
        root = str(where.root)
        if where.pattern is not None:
            found = (str(p) for p in where.root.glob(where.pattern) if p.is_file())
            files = sorted(_at_most(found, where.text))
        elif where.root.is_file():
            files = [root]
        else:
            files = _listed(filesystem, root, where.text)
        if where.confined is not None:
            inside = where.confined.resolve()
            for path in files:
                if not Path(path).resolve().is_relative_to(inside):
                    raise SourceError(
                        f"{where.text} leads outside the data folder; it is not read."
                    )
    else:
        filesystem = _store(where, settings)
        root = f"{where.bucket}/{where.prefix}".rstrip("/")
        try:
            info = filesystem.get_file_info(root)
        except OSError as exc:
            raise SourceError(f"{where.text} could not be listed: {_first_line(exc)}") from None
        if info.type == pafs.FileType.File:
            files = [root]
        elif info.type == pafs.FileType.NotFound:
            raise SourceError(f"{where.text}: there is nothing at this address.")
        else:
            files = _listed(filesystem, root, where.text)
    files = [f for f in files if not _hidden(f)]
    if not files:
        raise SourceError(f"{where.text} holds no Parquet or CSV files.")
    csv = all(f.lower().endswith(CSV_SUFFIXES) for f in files)
    if not csv:
        files = [f for f in files if not f.lower().endswith(CSV_SUFFIXES)]
    try:
        return ds.dataset(
            files,
            filesystem=filesystem,
            format="csv" if csv else "parquet",
            partitioning=ds.HivePartitioning.discover(infer_dictionary=False),
            partition_base_dir=root if len(files) > 1 or not root.endswith(files[0]) else None,
        )
    except Exception as exc:  # pyarrow's errors for files that are not tables
        raise SourceError(f"{where.text} is not a readable dataset: {_first_line(exc)}") from None


def _rows(side: summaries.Side, chosen: list[str]) -> pd.DataFrame:
    """The chosen rows' columns, read whole (the exact path: only what fits)."""
    rows = side.run(side.select(*(side.col(c) for c in chosen)))
    return pd.DataFrame([tuple(r) for r in rows], columns=chosen)


def _partition_keys(files: list[str]) -> set[str]:
    """The names of hive partitions (``date`` of ``date=2026-12-07/``) in the files' paths:
    where the data is kept, not features of it."""
    return {
        part.split("=", 1)[0]
        for path in files
        for part in path.split("/")[:-1]
        if "=" in part and part.split("=", 1)[0]
    }


def _listed(filesystem: Any, root: str, text: str) -> list[str]:
    import pyarrow.fs as pafs

    try:
        infos = filesystem.get_file_info(pafs.FileSelector(root, recursive=True))
    except OSError as exc:
        raise SourceError(f"{root} could not be listed: {_first_line(exc)}") from None
    return sorted(_at_most((i.path for i in infos if i.type == pafs.FileType.File), text))


def _at_most(paths: Iterable[str], text: str) -> list[str]:
    """The paths, or SourceError once there are more than :data:`MAX_FILES`."""
    files = list(itertools.islice(paths, MAX_FILES + 1))
    if len(files) > MAX_FILES:
        raise SourceError(
            f"{text} names more than {MAX_FILES:,} files; give a narrower folder, prefix "
            "or pattern (a date partition, say)."
        )
    return files


def _hidden(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith((".", "_")) or not (
        name.lower().endswith(CSV_SUFFIXES + PARQUET_SUFFIXES) or "." not in name
    )


def _store(where: Bucket, settings: Places) -> Any:
    import pyarrow.fs as pafs

    if where.store == "gs":
        return pafs.GcsFileSystem(retry_time_limit=timedelta(seconds=settings.timeout))
    if settings.s3_endpoint:
        scheme, _, host = settings.s3_endpoint.partition("://")
        return pafs.S3FileSystem(
            endpoint_override=host.rstrip("/"),
            scheme=scheme,
            region="us-east-1",
            connect_timeout=10,
            request_timeout=settings.timeout,
        )
    return pafs.S3FileSystem(connect_timeout=10, request_timeout=settings.timeout)


def _estimate(dataset: Any) -> int:
    """What the exact path would hold: Parquet's uncompressed sizes, or 3× a CSV's bytes."""
    total = 0
    for fragment in dataset.get_fragments():
        meta = getattr(fragment, "metadata", None)
        if meta is not None:
            total += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        else:
            total += 3 * dataset.filesystem.get_file_info(fragment.path).size
    return total


def _arrow_kind(kind: Any) -> str:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_boolean(kind):
        return summaries.BOOLEAN
    if pa.types.is_integer(kind):
        return summaries.NUMBER_INT
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return summaries.NUMBER_FLOAT
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return summaries.STRING
    return summaries.OTHER


def _pandas_kind(column: pd.Series) -> str:
    name = column.dtype.name
    if name == "bool":
        return summaries.BOOLEAN
    if name.startswith(("int", "uint")):
        return summaries.NUMBER_INT
    if name.startswith("float"):
        return summaries.NUMBER_FLOAT
    if name in ("object", "string", "str"):
        return summaries.STRING
    return summaries.OTHER


def _side(
    role: str,
    table: sa.TableClause | sa.Table,
    window: Window,
    now: datetime,
    kinds: dict[str, str],
    run: Callable[[sa.Executable], list[Any]],
    *,
    naive_time: bool = False,
) -> summaries.Side:
    conditions: list[sa.ColumnElement[bool]] = []
    names = set(table.c.keys())
    for column, value in window.where:
        if column not in names:
            raise SourceError(f"--where {column}=…: there is no column {column!r}.")
        conditions.append(table.c[column] == sa.bindparam(None, _typed(value, kinds.get(column))))
    if window.timed:
        assert window.time_column is not None
        if window.time_column not in names:
            raise SourceError(f"There is no column {window.time_column!r} (--time-column).")
        try:
            start, end = window.bounds(now)[role]
        except OverflowError:
            raise SourceError(
                "That window reaches before year 1 or after 9999; give a nearer --until."
            ) from None
        if naive_time:
            start, end = (t.astimezone(UTC).replace(tzinfo=None) for t in (start, end))
        time = table.c[window.time_column]
        conditions += [time >= sa.bindparam(None, start), time < sa.bindparam(None, end)]
    where = sa.and_(*conditions) if conditions else None
    return summaries.Side(role, table, where, run)


def _with_times(frame: pd.DataFrame, text: str, column: str) -> pd.DataFrame:
    """``frame`` with its ``--time-column`` read as UTC times (a CSV file gives text; a
    time without a zone is taken as UTC), so a window chooses its rows as in a table."""
    if column not in frame.columns:
        raise SourceError(f"{text} has no column {column!r} (--time-column).")
    times = pd.to_datetime(frame[column], utc=True, errors="coerce", format="mixed")
    if times.isna().all():
        raise SourceError(
            f"{text}: the column {column!r} (--time-column) holds no times such as "
            "2026-12-07T03:00:00Z."
        )
    return frame.assign(**{column: times})


def without_zone(sql_type: str) -> bool:
    """Whether a time column's SQL type (lower case) holds times without a zone, which
    are compared with UTC times made naive: PostgreSQL's ``timestamp without time
    zone``, DuckDB's ``timestamp``, ``timestamp_ns`` (what pandas writes), ``_ms`` and
    ``_s``, Snowflake's ``timestamp_ntz``, BigQuery's ``datetime``."""
    if sql_type in ("timestamp_ntz", "datetime"):
        return True
    if "with time zone" in sql_type or "tz" in sql_type:  # timestamptz, _tz, _ltz
        return False
    return sql_type.startswith("timestamp")


def _typed(value: str, kind: str | None) -> Any:
    """A ``--where`` value as the column's type, so the engine compares like with like."""
    try:
        if kind == summaries.NUMBER_INT:
            return int(value)
        if kind == summaries.NUMBER_FLOAT:
            return float(value)
    except ValueError:
        raise SourceError(f"--where …={value[:40]!r}: the column holds numbers.") from None
    if kind == summaries.BOOLEAN:
        if value.lower() not in ("true", "false", "1", "0"):
            raise SourceError(f"--where …={value[:40]!r}: the column holds true or false.")
        return value.lower() in ("true", "1")
    return value


@contextmanager
def _table(
    role: str, where: Table, settings: Places, window: Window, now: datetime
) -> Iterator[Opened]:
    assert settings.warehouse_url is not None
    url = sa.make_url(settings.warehouse_url)
    backend = url.get_backend_name()
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # the driver this bot ships with
    args: dict[str, Any] = {}
    if backend == "duckdb":
        args["connect_args"] = {"read_only": True}
    elif backend == "postgresql":
        args["connect_args"] = {"connect_timeout": 10}
    try:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, **args)
    except (ImportError, sa.exc.NoSuchModuleError, sa.exc.ArgumentError) as exc:
        raise SourceError(
            f"The warehouse's dialect ({backend}) is not installed here: {_first_line(exc)}"
        ) from None
    try:
        connection = _connect(engine, where)
        with connection:
            runner = _Warehouse(connection, backend, settings.timeout, where)
            columns = runner.columns()
            if not columns:
                raise SourceError(f"{where.text}: the warehouse has no such table.")
            kinds = {name: _sql_kind(kind) for name, kind in columns.items()}
            reflected = sa.table(
                where.table, *(sa.column(name) for name in columns), schema=where.schema
            )
            naive = False
            if window.time_column is not None:
                if window.time_column not in kinds:
                    raise SourceError(
                        f"{where.text} has no column {window.time_column!r} (--time-column)."
                    )
                naive = without_zone(columns[window.time_column])
                kinds.pop(window.time_column)
            side = _side(role, reflected, window, now, kinds, runner.run, naive_time=naive)

            def whole(chosen: list[str]) -> pd.DataFrame:
                return _rows(side, chosen)

            yield Opened(side, kinds, whole, 0, "pushdown")
    finally:
        engine.dispose()


def _connect(engine: sa.Engine, where: Table) -> sa.Connection:
    """One connection; a refused first try is tried once more (a restarting server), a
    refusal after that is said in words."""
    for attempt in (1, 2):
        try:
            return engine.connect()
        except sa.exc.OperationalError as exc:
            if attempt == 2:
                raise SourceError(
                    f"{where.text}: the warehouse could not be reached ({_first_line(exc)})."
                ) from None
    raise AssertionError("unreachable")


class _Warehouse:
    def __init__(
        self, connection: sa.Connection, backend: str, timeout: float, where: Table
    ) -> None:
        self.connection, self.backend, self.timeout, self.where = (
            connection,
            backend,
            timeout,
            where,
        )

    def columns(self) -> dict[str, str]:
        """The table's columns and their SQL types (lower case), from the standard
        ``information_schema`` (no dialect-specific reflection)."""
        info = sa.table(
            "columns",
            sa.column("table_name"),
            sa.column("table_schema"),
            sa.column("column_name"),
            sa.column("data_type"),
            sa.column("ordinal_position"),
            schema="information_schema",
        )
        query = sa.select(info.c.column_name, info.c.data_type).where(
            sa.func.lower(info.c.table_name) == self.where.table.lower()
        )
        if self.where.schema:
            query = query.where(sa.func.lower(info.c.table_schema) == self.where.schema.lower())
        rows = self.run(query.order_by(info.c.ordinal_position))
        return {str(name): str(kind).lower() for name, kind in rows}

    def _guard(self) -> None:
        if self.backend == "postgresql":
            self.connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            milliseconds = max(1, int(self.timeout * 1000))  # 0 would mean none
            self.connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")

    def run(self, statement: sa.Executable) -> list[Any]:
        raw = self.connection.connection.driver_connection
        cancel = getattr(raw, "interrupt", None) or getattr(raw, "cancel", None)
        timer = threading.Timer(self.timeout + 1, cancel) if cancel else None
        if timer is not None:
            timer.start()
        try:
            with self.connection.begin():
                self._guard()
                return list(self.connection.execute(statement).all())
        except sa.exc.DBAPIError as exc:
            raise _refused(self.where.text, exc, self.timeout) from None
        finally:
            if timer is not None:
                timer.cancel()


def _refused(what: str, exc: sa.exc.DBAPIError, timeout: float) -> SourceError:
    text = _first_line(exc.orig if exc.orig is not None else exc)
    lowered = text.lower()
    if "timeout" in lowered or "cancel" in lowered or "interrupt" in lowered:
        return SourceError(
            f"{what}: the query ran past {timeout:g} s and was stopped ({TIMEOUT} sets the "
            "limit); try a shorter window."
        )
    return SourceError(f"{what}: the engine refused the query ({text}).")


_INTEGERS = ("integer", "bigint", "smallint", "tinyint", "int64", "hugeint", "ubigint")
_FLOATS = ("double", "real", "float", "numeric", "decimal", "number")
_STRINGS = ("text", "character", "varchar", "string", "char")


def _sql_kind(kind: str) -> str:
    """A column's kind from its ``information_schema`` type name."""
    if kind.startswith(("boolean", "bool")):
        return summaries.BOOLEAN
    if kind.startswith(_INTEGERS) or kind in ("int2", "int4", "int8"):
        return summaries.NUMBER_INT
    if kind.startswith(_FLOATS):
        return summaries.NUMBER_FLOAT
    if kind.startswith(_STRINGS):
        return summaries.STRING
    return summaries.OTHER


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


__all__ = ["Opened", "opened"]
