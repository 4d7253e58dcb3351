"""Drift from summaries an engine computes where the data is, never from the rows.

For each column and each side, what leaves the engine is:

- one row of figures: rows, values present, and for numbers min, max, mean and the
  population variance;
- for numbers, a fixed-grid histogram of ``FINE_BINS`` bins over the two sides' joint
  range, each bin with its count, sum, min and max (so summaries of partitions or
  batches merge by adding them);
- for categories, the exact count of each value (at most ``MAX_CATEGORIES``).

From these the tests are Evidently's, as ``stattests`` computes them: Jensen-Shannon,
chi-squared and the Z-test from exact counts (so exactly the same); a numerical column
with few distinct values is seen to have them (every bin it fills holds one value) and is
tested on its exact counts; the standard deviation is exact; the Wasserstein distance is
computed with each bin's values at the bin's mean, and is off by at most the share-weighted
spread of the bins (``sum(count * (max - min)) / n`` on each side, over the reference's
standard deviation): that bound is computed from the data and reported with the score.

The engine is anything ``Engine`` can query with SQLAlchemy Core: DuckDB over Arrow
datasets (files, folders, object stores) or a warehouse's own SQL.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import sqlalchemy as sa

from bot.diagnosis import stattests
from bot.diagnosis.columns import INTEGER_CARDINALITY_LIMIT, ColumnKind
from bot.diagnosis.drift import (
    DRIFT_SHARE,
    ColumnDrift,
    DriftInputError,
    DriftReport,
    columns_to_compare,
)
from bot.diagnosis.stattests import FEW_VALUES, PSI_BINNED_ABOVE, SMALL_SAMPLE, StatResult

FINE_PER_BIN = 256  # fine bins in each of Sturges' bins
MAX_CATEGORIES = 100_000  # distinct values counted for one categorical column
SMALL_VALUES = 200_000  # values fetched whole to run a p-value test on a small reference
# A Wasserstein score whose bound straddles the threshold is computed again from the
# column's values when each side has at most this many (else the bound is reported).
CLOSE_CALL_VALUES = 1_000_000

Floats = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]

# What a column holds, from the engine's schema.
NUMBER_INT, NUMBER_FLOAT, BOOLEAN, STRING, OTHER = "int", "float", "bool", "str", "other"


@dataclass
class Side:
    """One side of a comparison: a table expression, the rows chosen, and how to run a
    statement on it (the caller's connection, with its timeout and read-only intent)."""

    name: str  # "reference" or "current"
    table: sa.FromClause
    where: sa.ColumnElement[bool] | None
    run: Callable[[sa.Executable], list[Any]]
    rows: int = 0
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    grids: dict[str, Grid] = field(default_factory=dict)  # fetched for every column at once
    counted: dict[str, dict[Any, int] | None] = field(default_factory=dict)

    def col(self, name: str) -> sa.ColumnElement[Any]:
        return self.table.c[name]

    def select(self, *what: Any) -> sa.Select[Any]:
        query = sa.select(*what).select_from(self.table)
        return query.where(self.where) if self.where is not None else query


@dataclass(frozen=True)
class Summarised:
    """A drift report computed from summaries, with how and how far it may be off."""

    report: DriftReport
    method: str  # "sketch" or "pushdown"
    error: float  # the largest bound on a Wasserstein score (0 when every test is exact)
    errors: dict[str, float]  # per column, where a score is approximate


def drift(
    reference: Side,
    current: Side,
    kinds: dict[str, str],
    *,
    method: str,
    prediction: str | None = None,
    target: str | None = None,
    skip: Iterable[str] = (),
    drift_share: float = DRIFT_SHARE,
    progress: Progress | None = None,
) -> Summarised:
    """Compare the columns both sides share (``kinds``: the current side's types, for the
    columns present on both) as ``drift.analyse`` would, from summaries."""
    names = columns_to_compare(list(kinds), prediction, target, skip)
    features = [c for c in names if c not in (prediction, target)]
    for side in (reference, current):
        _profile(side, {n: kinds[n] for n in names})
        if side.rows == 0:
            raise DriftInputError(f"The {side.name} table has no rows.")
    _prefetch(reference, current, {n: kinds[n] for n in names})
    results: dict[str, ColumnDrift] = {}
    errors: dict[str, float] = {}
    for done, name in enumerate(names, start=1):
        result, error = _column(name, kinds[name], reference, current)
        results[name] = result
        if error:
            errors[name] = error
        if progress is not None:
            progress(done, len(names))
    tested = [results[c] for c in features if results[c].outcome is not None]
    tested.sort(key=lambda c: (not c.drifted, -c.strength))
    report = DriftReport(
        columns=tested,
        not_tested=[results[c] for c in features if results[c].outcome is None],
        prediction=results.get(prediction) if prediction else None,
        target=results.get(target) if target else None,
        reference_rows=reference.rows,
        current_rows=current.rows,
        drift_share=drift_share,
    )
    return Summarised(report, method, max(errors.values(), default=0.0), errors)


def _grid_spec(name: str, reference: Side, current: Side) -> tuple[float, float, int]:
    """A numerical column's joint grid: Sturges' range, ``FINE_PER_BIN`` bins in each of
    Sturges' bins (so the chart's and PSI's bins are sums of whole fine bins)."""
    ref, cur = reference.figures[name], current.figures[name]
    low, high = min(ref["lo"], cur["lo"]), max(ref["hi"], cur["hi"])
    edges = stattests.sturges_edges(low, high, ref["present"] + cur["present"])
    return float(edges[0]), float(edges[-1]), (len(edges) - 1) * FINE_PER_BIN


def _prefetch(reference: Side, current: Side, kinds: dict[str, str]) -> None:
    """Every numerical column's grid and every string column's counts, one statement per
    side for each (the engine scans once per column; the round trips are few)."""
    both = [n for n in kinds if reference.figures[n]["present"] and current.figures[n]["present"]]
    numbers = {
        n: _grid_spec(n, reference, current) for n in both if kinds[n] in (NUMBER_INT, NUMBER_FLOAT)
    }
    strings = [n for n in both if kinds[n] == STRING]
    for side in (reference, current):
        side.grids.update(_histograms(side, numbers))
        side.counted.update(_counts_many(side, strings, MAX_CATEGORIES))


def _histograms(side: Side, specs: dict[str, tuple[float, float, int]]) -> dict[str, Grid]:
    if not specs:
        return {}
    branches = []
    for index, (name, (low, high, bins)) in enumerate(specs.items()):
        column = sa.cast(side.col(name), sa.Double)
        scale = bins / (high - low) if high > low else 0.0
        raw = sa.func.floor((column - sa.literal(low, sa.Double)) * sa.literal(scale, sa.Double))
        inner = (
            side.select(sa.case((raw >= bins, bins - 1), else_=raw).label("bin"), column.label("v"))
            .where(_finite(column))
            .subquery()
        )
        branches.append(
            sa.select(
                sa.literal(index, sa.Integer).label("at"),
                inner.c.bin,
                sa.func.count().label("n"),
                sa.func.sum(inner.c.v).label("total"),
                sa.func.min(inner.c.v).label("low"),
                sa.func.max(inner.c.v).label("high"),
            ).group_by(inner.c.bin)
        )
    query = branches[0] if len(branches) == 1 else sa.union_all(*branches)
    names = list(specs)
    grids = {
        name: Grid(np.zeros(bins), np.zeros(bins), np.zeros(bins), np.zeros(bins))
        for name, (_, _, bins) in specs.items()
    }
    for at, where, n, total, low, high in side.run(query):
        grid = grids[names[int(at)]]
        bin_at = min(max(int(where), 0), len(grid.count) - 1)
        first = grid.count[bin_at] == 0
        grid.count[bin_at] += n
        grid.total[bin_at] += float(total)
        grid.low[bin_at] = float(low) if first else min(grid.low[bin_at], float(low))
        grid.high[bin_at] = float(high) if first else max(grid.high[bin_at], float(high))
    return grids


def _counts_many(side: Side, names: list[str], cap: int) -> dict[str, dict[Any, int] | None]:
    """Each string column's counts (None past ``cap`` values), in one statement."""
    if not names:
        return {}
    branches = []
    for index, name in enumerate(names):
        column = side.col(name)
        inner = side.select(column.label("v")).where(column.is_not(None)).subquery()
        branches.append(
            sa.select(sa.literal(index, sa.Integer).label("at"), inner.c.v, sa.func.count())
            .group_by(inner.c.v)
            .limit(cap + 1)
            .subquery()
            .select()
        )
    query = branches[0] if len(branches) == 1 else sa.union_all(*branches)
    counted: dict[str, dict[Any, int]] = {name: {} for name in names}
    for at, value, count in side.run(query):
        counted[names[int(at)]][value] = int(count)
    return {name: (None if len(c) > cap else c) for name, c in counted.items()}


LARGEST = float(np.finfo(np.float64).max)


def _finite(number: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """A number that is neither missing, infinite nor NaN (NaN sorts above every number in
    PostgreSQL and DuckDB, and compares false elsewhere), in plain comparisons."""
    return sa.and_(
        number >= sa.literal(-LARGEST, sa.Double), number <= sa.literal(LARGEST, sa.Double)
    )


def _profile(side: Side, kinds: dict[str, str]) -> None:
    """Rows, and each column's values present (and for numbers their moments), in one scan."""
    what: list[Any] = [sa.func.count().label("rows")]
    for index, (name, kind) in enumerate(kinds.items()):
        column = side.col(name)
        if kind not in (NUMBER_INT, NUMBER_FLOAT):
            what.append(sa.func.count(column).label(f"n{index}"))
        else:  # infinite and NaN values are missing, as the exact path drops them
            cast = sa.cast(column, sa.Double)
            number = sa.case((_finite(cast), cast))
            what += [
                sa.func.count(number).label(f"n{index}"),
                sa.func.min(number).label(f"lo{index}"),
                sa.func.max(number).label(f"hi{index}"),
                sa.func.avg(number).label(f"mean{index}"),
                sa.func.var_pop(number).label(f"var{index}"),
            ]
    row = side.run(side.select(*what))[0]._mapping
    side.rows = int(row["rows"])
    for index, (name, kind) in enumerate(kinds.items()):
        figures: dict[str, Any] = {"present": int(row[f"n{index}"])}
        if kind in (NUMBER_INT, NUMBER_FLOAT) and figures["present"]:
            figures.update(
                lo=float(row[f"lo{index}"]),
                hi=float(row[f"hi{index}"]),
                mean=float(row[f"mean{index}"]),
                var=max(float(row[f"var{index}"] or 0.0), 0.0),
            )
        side.figures[name] = figures


def _missing(name: str, reference: Side, current: Side) -> tuple[float, float]:
    return (
        1 - reference.figures[name]["present"] / max(reference.rows, 1),
        1 - current.figures[name]["present"] / max(current.rows, 1),
    )


def _column(name: str, kind: str, reference: Side, current: Side) -> tuple[ColumnDrift, float]:
    missing = _missing(name, reference, current)
    ref, cur = reference.figures[name], current.figures[name]
    if kind == OTHER:
        return ColumnDrift(name, ColumnKind.OTHER, None, *missing, not_tested="its type"), 0.0
    if kind == STRING:
        counts = _counts(current, name, MAX_CATEGORIES)
        if counts is None:
            why = f"more than {MAX_CATEGORIES:,} distinct values"
            return ColumnDrift(name, ColumnKind.TEXT, None, *missing, not_tested=why), 0.0
        if not cur["present"]:
            return ColumnDrift(name, ColumnKind.OTHER, None, *missing, not_tested="no values"), 0.0
        if len(counts) > cur["present"] * 0.5:
            why = "mostly distinct text"
            return ColumnDrift(name, ColumnKind.TEXT, None, *missing, not_tested=why), 0.0
        if not ref["present"]:
            why = "no values in the reference data"
            return ColumnDrift(name, ColumnKind.CATEGORICAL, None, *missing, not_tested=why), 0.0
        ref_counts = _counts(reference, name, MAX_CATEGORIES)
        if ref_counts is None:
            why = f"more than {MAX_CATEGORIES:,} distinct values in the reference data"
            return ColumnDrift(name, ColumnKind.CATEGORICAL, None, *missing, not_tested=why), 0.0
        outcome = _from_counts(ref_counts, counts)
        return ColumnDrift(name, ColumnKind.CATEGORICAL, outcome, *missing), 0.0
    if kind == NUMBER_INT and cur["present"] < current.rows:
        kind = NUMBER_FLOAT  # integers with gaps are read as floats, as pandas reads them
    if not ref["present"] or not cur["present"]:
        side = "reference" if not ref["present"] else "current"
        column_kind = ColumnKind.CATEGORICAL if kind == BOOLEAN else ColumnKind.NUMERICAL
        why = f"no values in the {side} data"
        return ColumnDrift(name, column_kind, None, *missing, not_tested=why), 0.0
    if kind == BOOLEAN:
        outcome = _from_counts(_counts(reference, name, 3) or {}, _counts(current, name, 3) or {})
        return ColumnDrift(name, ColumnKind.CATEGORICAL, outcome, *missing), 0.0
    return _number(name, kind, reference, current, missing)


def _number(
    name: str, kind: str, reference: Side, current: Side, missing: tuple[float, float]
) -> tuple[ColumnDrift, float]:
    ref, cur = reference.figures[name], current.figures[name]
    low, high = min(ref["lo"], cur["lo"]), max(ref["hi"], cur["hi"])
    size = ref["present"] + cur["present"]
    edges = stattests.sturges_edges(low, high, size)
    bins = (len(edges) - 1) * FINE_PER_BIN
    grids = [
        _histogram(side, name, float(edges[0]), float(edges[-1]), bins)
        for side in (reference, current)
    ]
    cur_values = grids[1].distinct()
    if kind == NUMBER_INT:
        few = cur_values if cur_values is not None else None
        if few is None and grids[1].at_most(INTEGER_CARDINALITY_LIMIT):
            few = _exact_values(current, name, INTEGER_CARDINALITY_LIMIT)
        if few is not None and len(few) <= INTEGER_CARDINALITY_LIMIT:
            # Evidently reads an integer column with few values as categories.
            ref_counts = _counts(reference, name, MAX_CATEGORIES, numbers=True)
            if ref_counts is None:
                why = f"more than {MAX_CATEGORIES:,} distinct values in the reference data"
                return (
                    ColumnDrift(name, ColumnKind.CATEGORICAL, None, *missing, not_tested=why),
                    0.0,
                )
            outcome = _from_counts(ref_counts, few)
            return ColumnDrift(name, ColumnKind.CATEGORICAL, outcome, *missing), 0.0
    ref_values = grids[0].distinct()
    if ref_values is None and grids[0].at_most(PSI_BINNED_ABOVE):
        ref_values = _exact_values(reference, name, PSI_BINNED_ABOVE)
    if cur_values is None and grids[1].at_most(FEW_VALUES):
        cur_values = _exact_values(current, name, FEW_VALUES)
    if ref["present"] <= SMALL_SAMPLE:
        values = [_values(side, name) for side in (reference, current)]
        if values[0] is not None and values[1] is not None:
            return ColumnDrift(
                name, ColumnKind.NUMERICAL, stattests.numerical(values[0], values[1]), *missing
            ), 0.0
    if (
        ref_values is not None
        and cur_values is not None
        and len(ref_values) <= FEW_VALUES
        and len(cur_values) <= FEW_VALUES
    ):
        keys = sorted(set(ref_values) | set(cur_values))
        if len(keys) <= FEW_VALUES:
            outcome = stattests.categorical(
                [str(np.float64(k)) for k in keys],
                np.array([ref_values.get(k, 0) for k in keys], dtype=np.int64),
                np.array([cur_values.get(k, 0) for k in keys], dtype=np.int64),
                numeric=np.array(keys, dtype=np.float64),
            )
            return ColumnDrift(name, ColumnKind.NUMERICAL, outcome, *missing), 0.0
    n_ref, n_cur = ref["present"], cur["present"]
    ref_hist = grids[0].coarse(FINE_PER_BIN)
    cur_hist = grids[1].coarse(FINE_PER_BIN)
    if ref_values is not None and len(ref_values) <= PSI_BINNED_ABOVE:
        keys = sorted(set(ref_values) | set(cur_values or {}))
        if cur_values is None:  # the current side's values beyond the reference's: binned
            cur_values = grids[1].as_values()
            keys = sorted(set(ref_values) | set(cur_values))
        psi = stattests._psi(
            np.array([ref_values.get(k, 0) for k in keys]) / n_ref,
            np.array([cur_values.get(k, 0) for k in keys]) / n_cur,
        )
    else:
        psi = stattests._psi(ref_hist / n_ref, cur_hist / n_cur)
    norm = max(math.sqrt(ref["var"]), 0.001)
    points = [grid.points() for grid in grids]
    score = _weighted_wasserstein(*points[0], *points[1]) / norm
    error = (grids[0].spread() + grids[1].spread()) / norm
    method = stattests.Method.WASSERSTEIN
    if abs(score - method.threshold) <= error:
        # Too close to call from the summaries: the column's own values, when few enough.
        values = [_values(side, name, CLOSE_CALL_VALUES) for side in (reference, current)]
        if values[0] is not None and values[1] is not None:
            exact = stattests.numerical(values[0], values[1])
            return ColumnDrift(name, ColumnKind.NUMERICAL, exact, *missing), 0.0
    outcome = StatResult(
        method,
        score,
        method.drifted(score),
        psi,
        [float(e) for e in edges],
        (ref_hist / n_ref).tolist(),
        (cur_hist / n_cur).tolist(),
    )
    return ColumnDrift(name, ColumnKind.NUMERICAL, outcome, *missing), error


@dataclass(frozen=True)
class Grid:
    """A fixed-grid histogram of one side's values: per bin the count, sum, min and max."""

    count: Floats
    total: Floats
    low: Floats
    high: Floats

    def distinct(self) -> dict[float, int] | None:
        """Each value and its count, when every filled bin holds one value only."""
        filled = self.count > 0
        if not np.array_equal(self.low[filled], self.high[filled]):
            return None
        return {float(v): int(c) for v, c in zip(self.low[filled], self.count[filled], strict=True)}

    def at_most(self, limit: int) -> bool:
        """Whether the values may be this few (bins with a spread hold two or more)."""
        filled = self.count > 0
        least = int(filled.sum()) + int((self.low[filled] < self.high[filled]).sum())
        return least <= limit

    def as_values(self) -> dict[float, int]:
        filled = self.count > 0
        means = self.total[filled] / self.count[filled]
        return {float(v): int(c) for v, c in zip(means, self.count[filled], strict=True)}

    def coarse(self, per_bin: int) -> Floats:
        counts: Floats = self.count.reshape(-1, per_bin).sum(axis=1)
        return counts

    def points(self) -> tuple[Floats, Floats]:
        filled = self.count > 0
        return self.total[filled] / self.count[filled], self.count[filled]

    def spread(self) -> float:
        """How far, on average, a value is from its bin's mean at most."""
        n = float(self.count.sum())
        filled = self.count > 0
        return float(np.dot(self.count[filled], self.high[filled] - self.low[filled])) / n


def _histogram(side: Side, name: str, low: float, high: float, bins: int) -> Grid:
    if name not in side.grids:
        side.grids.update(_histograms(side, {name: (low, high, bins)}))
    return side.grids[name]


def _counts(side: Side, name: str, cap: int, *, numbers: bool = False) -> dict[Any, int] | None:
    """Each value's count (missing values left out, and for ``numbers`` the infinite and
    NaN ones too), or None past ``cap`` values."""
    if name in side.counted and not numbers:
        known = side.counted[name]
        return None if known is None or len(known) > cap else known
    column = side.col(name)
    kept = _finite(sa.cast(column, sa.Double)) if numbers else column.is_not(None)
    inner = side.select(column.label("v")).where(kept).subquery()
    query = sa.select(inner.c.v, sa.func.count()).group_by(inner.c.v).limit(cap + 1)
    rows = side.run(query)
    if len(rows) > cap:
        return None
    return {row[0]: int(row[1]) for row in rows}


def _exact_values(side: Side, name: str, cap: int) -> dict[float, int] | None:
    counts = _counts(side, name, cap, numbers=True)
    return None if counts is None else {float(k): v for k, v in counts.items()}


def _values(side: Side, name: str, most: int = SMALL_VALUES) -> Floats | None:
    """Every value of a column, when it has at most ``most`` (None when more)."""
    if side.figures[name]["present"] > most:
        return None
    column = sa.cast(side.col(name), sa.Double)
    rows = side.run(side.select(column).where(_finite(column)))
    values = np.array([row[0] for row in rows], dtype=np.float64)
    finite: Floats = values[np.isfinite(values)]
    return finite


def _from_counts(reference: dict[Any, int], current: dict[Any, int]) -> StatResult:
    from bot.diagnosis.drift import _from_counts as counted

    return counted(pd.Series(reference, dtype="int64"), pd.Series(current, dtype="int64"))


def _weighted_wasserstein(
    ref_at: Floats, ref_weight: Floats, cur_at: Floats, cur_weight: Floats
) -> float:
    """The area between the two weighted samples' distribution functions (scipy's first
    Wasserstein distance, for values with weights)."""
    every = np.concatenate([ref_at, cur_at])
    order = np.argsort(every, kind="mergesort")
    every = every[order]
    steps = np.diff(every)
    ref_cdf = np.cumsum(np.concatenate([ref_weight, np.zeros(len(cur_at))])[order])
    cur_cdf = np.cumsum(np.concatenate([np.zeros(len(ref_at)), cur_weight])[order])
    ref_cdf /= ref_cdf[-1]
    cur_cdf /= cur_cdf[-1]
    return float(np.dot(np.abs(ref_cdf - cur_cdf)[:-1], steps))
