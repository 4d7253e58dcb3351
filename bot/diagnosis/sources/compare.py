"""Drift and fairness wherever the data lives, choosing how by size:

- ``exact``: both data sets read whole into memory (one file or URL each, or anything
  small enough), the tests run on every value (``drift.analyse``, ``fairness.analyse``);
- ``sketch``: files, folders, globs and buckets streamed through the embedded engine in
  record batches, each column summarised (``summaries``) and never held;
- ``pushdown``: a warehouse table asked for the same summaries in its own SQL.

What comes back says which was used, and the bound on any approximate score.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bot.diagnosis import datasets
from bot.diagnosis.drift import DriftReport, analyse
from bot.diagnosis.limits import Limits
from bot.diagnosis.sources import engines, summaries
from bot.diagnosis.sources.allowed import Places
from bot.diagnosis.sources.places import Place, Single, Window, place
from bot.text import sizes

METHODS = ("auto", "exact", "sketch", "pushdown")
MAX_COMBINATIONS = 1_000_000  # distinct (group, prediction, label) rows fairness reads

Progress = Callable[[int, int], None]
Reading = Callable[[str], datasets.Progress]  # a side's name: how its bytes read are told


@dataclass(frozen=True)
class Where:
    """What is needed to reach data: the settings and the rows' window."""

    places: Places = field(default_factory=Places)
    limits: Limits = field(default_factory=Limits)
    data_dir: Path | None = None
    window: Window = field(default_factory=Window)
    here: bool = False  # the command line: local paths anywhere

    def place(self, text: str) -> Place:
        return place(text, self.places, self.data_dir, self.limits, here=self.here)


@dataclass(frozen=True)
class Drift:
    report: DriftReport
    method: str
    error: float = 0.0  # the largest bound on an approximate score
    errors: dict[str, float] = field(default_factory=dict)
    # Each side's size in bytes where it is known (a file's; a dataset's Parquet data,
    # uncompressed); a warehouse table's is not asked for.
    sizes: dict[str, int | None] = field(default_factory=dict)
    # Each side's SHA-256 of what was read (``Reads``): the evidence of what was judged.
    digests: dict[str, str] = field(default_factory=dict)


@contextmanager
def _opened(
    reference: Place, current: Place, where: Where, now: datetime, reads: Reads
) -> Iterator[dict[str, engines.Opened]]:
    """Both sides opened by their engines, each watched for its digest as it is read."""
    with engines.opened(
        {"reference": reference, "current": current},
        where.places,
        where.limits,
        where.window,
        now,
    ) as sides:
        reads.watch("reference", reference, where, sides["reference"])
        reads.watch("current", current, where, sides["current"])
        yield sides


class Reads:
    """A SHA-256 per side of what an analysis read, computed as it reads (never a second
    read). A file or URL read whole: its bytes as they arrived (``datasets.fetch``).
    Anything else (a folder, a bucket, a table, a window of rows): a canonical description
    of the place, the window and the columns, then each statement run on it and the rows
    it returned (the summaries, or the rows loaded for the exact path)."""

    def __init__(self) -> None:
        self.digests: dict[str, str] = {}
        self._hashers: dict[str, Any] = {}

    def told(self, role: str) -> datasets.Digest:
        return lambda hexdigest: self.digests.__setitem__(role, hexdigest)

    def watch(self, role: str, place: Place, where: Where, opened: engines.Opened) -> None:
        hasher = hashlib.sha256(
            _canonical(
                {
                    "place": place.text,
                    "engine": opened.engine,
                    "columns": opened.kinds,
                    "window": {
                        "time_column": where.window.time_column,
                        "span": where.window.span,
                        "against": where.window.against,
                        "where": [list(pair) for pair in where.window.where],
                    },
                }
            )
        )
        self._hashers[role] = hasher
        run, load = opened.side.run, opened.load

        def run_hashed(statement: sa.Executable) -> list[Any]:
            rows = run(statement)
            if isinstance(statement, sa.ClauseElement):
                compiled = statement.compile()
                hasher.update(_canonical({"sql": str(compiled), "params": compiled.params}))
            hasher.update(_canonical(_unordered(rows)))
            return rows

        def load_hashed(columns: list[str]) -> pd.DataFrame:
            frame = load(columns)
            hasher.update(_canonical({"loaded": columns, "rows": len(frame)}))
            hasher.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
            return frame

        opened.side.run, opened.load = run_hashed, load_hashed

    def finish(self) -> dict[str, str]:
        """Each side's hex digest, the watched ones taken as they stand now."""
        for role, hasher in self._hashers.items():
            self.digests[role] = hasher.hexdigest()
        return dict(self.digests)


def _unordered(rows: list[Any]) -> list[str]:
    """Rows as the same answer reads each time: sorted (an engine's grouping has no order)
    and floats to 9 significant digits (a parallel sum differs in its last bits)."""

    def steady(value: Any) -> Any:
        return float(f"{value:.9g}") if isinstance(value, float) else value

    return sorted(_canonical([steady(v) for v in row]).decode() for row in rows)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":")).encode()


def drift(
    reference: Place,
    current: Place,
    where: Where,
    now: datetime,
    *,
    prediction: str | None = None,
    target: str | None = None,
    skip: Iterable[str] = (),
    method: str = "auto",
    progress: Progress | None = None,
    reading: Reading | None = None,
) -> Drift:
    """The drift report between two places, by the cheapest path that fits."""
    if method not in METHODS:
        raise datasets.SourceError(f"--method is one of {', '.join(METHODS)}.")
    reads = Reads()
    singles = isinstance(reference, Single) and isinstance(current, Single)
    if singles and not where.window.restricts and method in ("auto", "exact"):
        assert isinstance(reference, Single) and isinstance(current, Single)
        tables = _read(reference, current, where, reading, reads)
        report = analyse(
            tables[0],
            tables[1],
            prediction=prediction,
            target=target,
            skip=skip,
            progress=progress,
        )
        held: dict[str, int | None] = {
            "reference": int(tables[0].memory_usage(deep=True).sum()),
            "current": int(tables[1].memory_usage(deep=True).sum()),
        }
        return Drift(report, "exact", sizes=held, digests=reads.finish())
    with _opened(reference, current, where, now, reads) as sides:
        ref, cur = sides["reference"], sides["current"]
        kinds = {name: kind for name, kind in cur.kinds.items() if name in ref.kinds}
        if len(kinds) > where.limits.max_columns:
            raise datasets.SourceError(
                f"The data sets share {len(kinds):,} columns; the limit is "
                f"{where.limits.max_columns:,} (INCIDENTBOT_DRIFT_MAX_COLUMNS)."
            )
        engine = "pushdown" if "pushdown" in (ref.engine, cur.engine) else "sketch"
        fits = ref.bytes_estimate + cur.bytes_estimate <= where.limits.max_memory
        sizes: dict[str, int | None] = {
            role: (None if side.engine == "pushdown" else side.bytes_estimate)
            for role, side in (("reference", ref), ("current", cur))
        }
        if method == "exact" or (method == "auto" and engine == "sketch" and fits):
            names = list(kinds)
            tables = [
                _bounded(side.load(names), where.limits, label)
                for side, label in ((ref, "reference"), (cur, "current"))
            ]
            report = analyse(
                tables[0],
                tables[1],
                prediction=prediction,
                target=target,
                skip=skip,
                progress=progress,
            )
            return Drift(report, "exact", sizes=sizes, digests=reads.finish())
        found = summaries.drift(
            ref.side,
            cur.side,
            kinds,
            method=engine,  # sketch or pushdown: said by where it ran, whichever was asked
            prediction=prediction,
            target=target,
            skip=skip,
            progress=progress,
        )
        return Drift(found.report, found.method, found.error, found.errors, sizes, reads.finish())


def _read(
    reference: Single,
    current: Single,
    where: Where,
    reading: Reading | None,
    reads: Reads,
) -> list[pd.DataFrame]:
    return [
        datasets.load(p.source, where.limits, reading(role) if reading else None, reads.told(role))
        for p, role in ((reference, "reference"), (current, "current"))
    ]


def described(method: str, error: float = 0.0) -> str:
    """How the figures were computed, in words (the channel and the command line)."""
    if method == "exact":
        return "exact: every value read"
    how = "streamed summaries" if method == "sketch" else "summaries computed by the warehouse"
    if error <= 0:
        return f"{method}: {how}, every test exact"
    return f"{method}: {how}, Wasserstein scores within ±{error:.2g}"


def _bounded(frame: pd.DataFrame, limits: Limits, label: str) -> pd.DataFrame:
    memory = int(frame.memory_usage(deep=True).sum())
    if memory > limits.max_memory:
        raise datasets.SourceError(
            f"The {label} data takes {sizes.size(memory)} in memory; the exact "
            "path's limit is INCIDENTBOT_DRIFT_MAX_MEMORY. Leave out --method exact."
        )
    return frame


def needed(request: Any) -> list[str]:
    """The columns a fairness ``Request`` reads, each once."""
    named = [*(c for group in request.groups for c in group), request.prediction]
    named += [request.label] if request.label else []
    return list(dict.fromkeys(named))


def fairness_tables(
    reference: Place,
    current: Place,
    where: Where,
    now: datetime,
    columns: list[str],
    method: str = "auto",
    reading: Reading | None = None,
    digests: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The two windows' rows for a fairness analysis, as few as the figures need: from a
    file, the file; elsewhere, the engine counts each distinct combination of ``columns``
    (groups, prediction, label) and only those counts leave it. The rows are rebuilt from
    the counts, so every figure is the exact path's (they are counts). ``digests`` is
    filled with each side's SHA-256 of what was read (``Reads``)."""
    if method not in METHODS:
        raise datasets.SourceError(f"--method is one of {', '.join(METHODS)}.")
    reads = Reads()
    singles = isinstance(reference, Single) and isinstance(current, Single)
    if singles and not where.window.restricts and method in ("auto", "exact"):
        assert isinstance(reference, Single) and isinstance(current, Single)
        tables = _read(reference, current, where, reading, reads)
        if digests is not None:
            digests.update(reads.finish())
        return tables[0], tables[1], "exact"
    with _opened(reference, current, where, now, reads) as sides:
        frames = []
        for role in ("reference", "current"):
            opened = sides[role]
            missing = [c for c in columns if c not in opened.side.table.c]
            if missing:
                shown = ", ".join(repr(c) for c in list(opened.kinds)[:12])
                raise datasets.SourceError(
                    f"The column {missing[0]!r} is not in the {role} data; its columns are {shown}."
                )
            if method == "exact":
                frames.append(_bounded(opened.load(columns), where.limits, role))
            else:
                frames.append(_combinations(opened.side, columns, where.limits))
        engine = "pushdown" if "pushdown" in (o.engine for o in sides.values()) else "sketch"
        engine = "exact" if method == "exact" else engine
    if digests is not None:
        digests.update(reads.finish())
    return frames[0], frames[1], engine


def _combinations(side: summaries.Side, columns: list[str], limits: Limits) -> pd.DataFrame:
    chosen = [side.col(c).label(f"c{i}") for i, c in enumerate(columns)]
    inner = side.select(*chosen).subquery()
    keys = [inner.c[f"c{i}"] for i in range(len(columns))]
    query = sa.select(*keys, sa.func.count()).group_by(*keys).limit(MAX_COMBINATIONS + 1)
    rows = side.run(query)
    if len(rows) > MAX_COMBINATIONS:
        raise datasets.SourceError(
            f"The {side.name} data has over {MAX_COMBINATIONS:,} distinct combinations of "
            f"{', '.join(columns)}; group by fewer or coarser columns."
        )
    counts = np.array([int(r[-1]) for r in rows], dtype=np.int64)
    total = int(counts.sum())
    if total * len(columns) * 8 > limits.max_memory:
        raise datasets.SourceError(
            f"The {side.name} window has {total:,} rows, more than the fairness figures "
            "are rebuilt for (INCIDENTBOT_DRIFT_MAX_MEMORY); choose a shorter --window."
        )
    data: dict[str, Any] = {}
    for i, column in enumerate(columns):
        values = pd.Series([r[i] for r in rows])
        if values.dtype == object and values.map(lambda v: isinstance(v, int | float)).all():
            values = pd.to_numeric(values)
        data[column] = np.repeat(values.to_numpy(), counts)
    return pd.DataFrame(data)
