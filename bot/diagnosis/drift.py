"""Data drift between a reference table and a current one: a verdict per column and for the
data set, as Evidently's DataDriftPreset would give it, plus what Evidently does not say:
PSI for every column and columns whose share of missing values jumped.

Pure: DataFrames in, a ``DriftReport`` out. Columns are independent, so they run
on a small thread pool (NumPy's sorts and searches release the GIL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bot.diagnosis.columns import ColumnKind, kind_from_counts, kind_of
from bot.diagnosis.stattests import StatResult, categorical, numerical
from bot.text.rendering import count

DRIFT_SHARE = 0.5  # the data set has drifted when this share of its columns has (Evidently's)
NULL_JUMP = 0.05  # missing share up by at least this much, and at least doubled: a pipeline suspect

Progress = Callable[[int, int], None]


class DriftInputError(ValueError):
    """The two tables cannot be compared; the message says why."""


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    kind: ColumnKind
    outcome: StatResult | None  # None when the column was not tested
    reference_missing: float  # share of rows without a value
    current_missing: float
    not_tested: str | None = None  # why, when it was not

    @property
    def drifted(self) -> bool:
        return self.outcome is not None and self.outcome.drifted

    @property
    def missing_jumped(self) -> bool:
        """A sudden rise in missing values: most often a broken pipeline, not a changed world."""
        rise = self.current_missing - self.reference_missing
        return rise >= NULL_JUMP and self.current_missing >= 2 * self.reference_missing

    @property
    def strength(self) -> float:
        """How far past (or short of) its threshold the column is; for ordering."""
        if self.outcome is None:
            return -1.0
        method, score = self.outcome.method, self.outcome.score
        if method.is_p_value:
            return method.threshold / max(score, 1e-300)
        return score / method.threshold


@dataclass(frozen=True)
class DriftReport:
    columns: list[ColumnDrift]  # tested, drifted first, strongest first
    not_tested: list[ColumnDrift]
    prediction: ColumnDrift | None
    target: ColumnDrift | None
    reference_rows: int
    current_rows: int
    drift_share: float = DRIFT_SHARE
    only_in_one: list[str] = field(default_factory=list)

    @property
    def drifted(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.drifted]

    @property
    def dataset_drift(self) -> bool:
        return bool(self.columns) and len(self.drifted) / len(self.columns) >= self.drift_share

    @property
    def missing_jumps(self) -> list[ColumnDrift]:
        every = [*self.columns, *self.not_tested, *filter(None, (self.prediction, self.target))]
        return [c for c in every if c.missing_jumped]

    def verdict(self) -> str:
        return (
            f"{len(self.drifted)} of {count(len(self.columns), 'column')} drifted — "
            "data set drift: "
            f"{'yes' if self.dataset_drift else 'no'}"
        )


def columns_to_compare(
    shared: list[Any], prediction: str | None, target: str | None, skip: Iterable[str]
) -> list[Any]:
    """The columns to test, features first, then the prediction and the target; or
    DriftInputError when a named column is missing or nothing is left to compare."""
    for role, name in (("prediction", prediction), ("target", target)):
        if name is not None and name not in shared:
            raise DriftInputError(f"The {role} column {name!r} is not in both tables.")
    skipped = set(skip)
    unknown = sorted(skipped - set(shared))
    if unknown:
        raise DriftInputError(f"No column called {', '.join(map(repr, unknown))} to skip.")
    features = [c for c in shared if c not in skipped and c not in (prediction, target)]
    if not features:
        raise DriftInputError(
            "The two tables have no column in common to compare"
            + (" besides the ones named as prediction, target or skipped." if shared else ".")
        )
    return [*features, *filter(None, (prediction, target))]


def analyse(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    prediction: str | None = None,
    target: str | None = None,
    skip: Iterable[str] = (),
    drift_share: float = DRIFT_SHARE,
    workers: int = 2,
    progress: Progress | None = None,
) -> DriftReport:
    """Compare every column the two tables share; the prediction and target apart."""
    if reference.empty or current.empty:
        raise DriftInputError(
            f"The {'reference' if reference.empty else 'current'} table has no rows."
        )
    shared = [c for c in current.columns if c in set(reference.columns)]
    names = columns_to_compare(shared, prediction, target, skip)
    features = [c for c in names if c not in (prediction, target)]
    done = 0

    def one(name: str) -> ColumnDrift:
        nonlocal done
        result = column_drift(str(name), reference[name], current[name])
        done += 1
        if progress is not None:
            progress(done, len(names))
        return result

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = dict(zip(names, pool.map(one, names), strict=True))
    tested = [results[c] for c in features if results[c].outcome is not None]
    tested.sort(key=lambda c: (not c.drifted, -c.strength))
    only = sorted(set(reference.columns) ^ set(current.columns), key=str)
    return DriftReport(
        columns=tested,
        not_tested=[results[c] for c in features if results[c].outcome is None],
        prediction=results.get(prediction) if prediction else None,
        target=results.get(target) if target else None,
        reference_rows=len(reference),
        current_rows=len(current),
        drift_share=drift_share,
        only_in_one=[str(c) for c in only],
    )


def column_drift(name: str, reference: pd.Series, current: pd.Series) -> ColumnDrift:
    if _is_text_like(current) and _is_text_like(reference):
        return _strings(name, reference, current)
    kind = kind_of(current)  # Evidently reads the column types off the current data
    if kind is ColumnKind.NUMERICAL and _is_numeric(reference) and _is_numeric(current):
        return _numbers(name, reference, current)
    ref_present, cur_present = _present(reference), _present(current)
    missing = (
        1 - len(ref_present) / max(len(reference), 1),
        1 - len(cur_present) / max(len(current), 1),
    )
    if not kind.tested:
        why = "mostly distinct text" if kind is ColumnKind.TEXT else f"type {current.dtype}"
        return ColumnDrift(name, kind, None, *missing, not_tested=why)
    if ref_present.empty or cur_present.empty:
        side = "reference" if ref_present.empty else "current"
        return ColumnDrift(name, kind, None, *missing, not_tested=f"no values in the {side} data")
    if kind is ColumnKind.NUMERICAL:
        if not (_is_numeric(ref_present) and _is_numeric(cur_present)):
            return ColumnDrift(
                name, kind, None, *missing, not_tested="numbers on one side, text on the other"
            )
        outcome = numerical(
            ref_present.to_numpy(dtype=np.float64), cur_present.to_numpy(dtype=np.float64)
        )
    else:
        outcome = _categorical(ref_present, cur_present)
    return ColumnDrift(name, kind, outcome, *missing)


def _numbers(name: str, reference: pd.Series, current: pd.Series) -> ColumnDrift:
    """A numerical column on both sides, as plain arrays: missing and infinite values
    dropped without copying a column that has none (the test sorts its own copy)."""
    ref, cur = _finite(reference), _finite(current)
    missing = (
        1 - len(ref) / max(len(reference), 1),
        1 - len(cur) / max(len(current), 1),
    )
    if not len(ref) or not len(cur):
        side = "reference" if not len(ref) else "current"
        why = f"no values in the {side} data"
        return ColumnDrift(name, ColumnKind.NUMERICAL, None, *missing, not_tested=why)
    return ColumnDrift(name, ColumnKind.NUMERICAL, numerical(ref, cur), *missing)


def _finite(column: pd.Series) -> npt.NDArray[np.float64]:
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(values)
    return values if finite.all() else values[finite]


def _is_text_like(column: pd.Series) -> bool:
    return column.dtype.name in ("object", "string", "str")


def _strings(name: str, reference: pd.Series, current: pd.Series) -> ColumnDrift:
    """Columns of strings, from one count of each side's values (a pass over millions of
    Python strings is the cost here, so it is done once)."""
    ref_counts = reference.value_counts(sort=False, dropna=True)
    cur_counts = current.value_counts(sort=False, dropna=True)
    present = int(cur_counts.sum())
    missing = (
        1 - int(ref_counts.sum()) / max(len(reference), 1),
        1 - present / max(len(current), 1),
    )
    kind = kind_from_counts(current, len(cur_counts), present)
    if not kind.tested:
        why = "mostly distinct text" if kind is ColumnKind.TEXT else f"type {current.dtype}"
        return ColumnDrift(name, kind, None, *missing, not_tested=why)
    if ref_counts.empty:
        return ColumnDrift(name, kind, None, *missing, not_tested="no values in the reference data")
    return ColumnDrift(name, kind, _from_counts(ref_counts, cur_counts), *missing)


def _present(column: pd.Series) -> pd.Series:
    """The values a test sees: missing and infinite ones dropped, as Evidently drops them."""
    if pd.api.types.is_float_dtype(column.dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        finite: pd.Series = column[np.isfinite(values)]
        return finite
    return column.dropna()


def _is_numeric(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column.dtype)) and not pd.api.types.is_bool_dtype(
        column.dtype
    )


def _categorical(reference: pd.Series, current: pd.Series) -> StatResult:
    return _from_counts(reference.value_counts(sort=False), current.value_counts(sort=False))


def _from_counts(ref_counts: pd.Series, cur_counts: pd.Series) -> StatResult:
    keys = _sorted_keys(set(ref_counts.index) | set(cur_counts.index))
    ref = ref_counts.reindex(keys, fill_value=0).to_numpy(dtype=np.int64)
    cur = cur_counts.reindex(keys, fill_value=0).to_numpy(dtype=np.int64)
    return categorical([str(k) for k in keys], ref, cur)


def _sorted_keys(keys: set[Any]) -> list[Any]:
    try:
        return sorted(keys)
    except TypeError:  # mixed types: a stable order all the same
        return sorted(keys, key=lambda k: (type(k).__name__, str(k)))


def top_drifted(report: DriftReport, count: int = 4) -> Sequence[ColumnDrift]:
    return report.drifted[:count] or report.columns[:count]
