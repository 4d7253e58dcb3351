"""Reading a prediction or label column as yes/no: which value is the favourable outcome,
or whether the column is a score to be cut at a threshold.

A person names columns and values as they read them in the file (``--favourable approve``,
``--favourable 1``, ``--favourable true``), while the table holds strings, integers,
floats or booleans; the value is matched against the column's own distinct values, so
the comparison over a million rows is one on integer codes, not on Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

Flags = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
VALUES_SHOWN = 6
MAX_VALUES = 1000  # distinct values read before a column is called not binary


class OutcomeError(ValueError):
    """The column cannot be read as a yes/no outcome; the message names it and says why."""


@dataclass(frozen=True)
class Outcome:
    """One window's column read as outcomes: ``yes`` where the favourable value is,
    ``present`` where there is any value, and the score itself when it is one."""

    yes: Flags
    present: Flags
    score: Floats | None = None


@dataclass(frozen=True)
class Reading:
    """How both windows of a column are read (decided once, from both)."""

    column: str
    favourable: object | None  # the value that counts as yes; None for a score
    threshold: float | None = None  # for a score: yes when score >= threshold

    @property
    def described(self) -> str:
        if self.favourable is None:
            return f"score ≥ {self.threshold:g}"
        return f"{self.column} = {value_name(self.favourable)}"


def value_name(value: object) -> str:
    """How a value reads in a table or a verdict: 1.0 as 1, True as True."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def is_score(column: pd.Series, *others: pd.Series) -> bool:
    """Floats in [0, 1] that are not only 0 and 1: a model's score, not its decision."""
    columns = (column, *others)
    if not all(pd.api.types.is_float_dtype(c.dtype) for c in columns):
        return False
    values = np.concatenate([c.to_numpy(dtype=np.float64, na_value=np.nan) for c in columns])
    values = values[~np.isnan(values)]
    if values.size == 0:
        return False
    in_range = bool(values.min() >= 0.0) and bool(values.max() <= 1.0)
    return in_range and not bool(np.isin(values, (0.0, 1.0)).all())


def decide(
    column: str,
    windows: tuple[pd.Series, pd.Series],
    favourable: str | None,
    role: str,
) -> Reading:
    """Which value of ``column`` is the favourable one, from the values both windows hold:
    the one named, else 1 (or True) for a 0/1, -1/1 or boolean column. Anything else is
    refused with the values found, so the person can name one."""
    values = _distinct(windows)
    if favourable is not None:
        match = _match(favourable, values)
        if match is None:
            raise OutcomeError(
                f"The {role} column {column!r} has no value {favourable!r}; "
                f"its values are {_listed(values)}."
            )
        return Reading(column, match)
    if len(values) > 2:
        raise OutcomeError(
            f"The {role} column {column!r} is not binary: it has {_count(values)} values "
            f"({_listed(values)}). Name the favourable one with --favourable, e.g. "
            f"--favourable {value_name(values[0])}."
        )
    ones = [v for v in values if _is_one(v)]
    if all(_is_one(v) or _is_zero(v) or _is_minus_one(v) for v in values) and ones:
        return Reading(column, ones[0])
    if not values:
        raise OutcomeError(f"The {role} column {column!r} has no values.")
    if len(values) == 1 and _is_zero(values[0]):
        return Reading(column, _one_like(values[0]))
    raise OutcomeError(
        f"The {role} column {column!r} holds {_listed(values)}: say which is the favourable "
        f"outcome with --favourable, e.g. --favourable {value_name(values[0])}."
    )


def read(series: pd.Series, reading: Reading) -> Outcome:
    """One window's column as outcomes, by ``reading``."""
    if reading.favourable is None:
        scores = series.to_numpy(dtype=np.float64, na_value=np.nan)
        present = ~np.isnan(scores)
        assert reading.threshold is not None
        return Outcome(scores >= reading.threshold, present, scores)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    wanted = [i for i, v in enumerate(uniques) if _same(v, reading.favourable)]
    present = codes >= 0
    if not wanted:
        return Outcome(np.zeros(len(series), dtype=bool), present)
    return Outcome(codes == wanted[0], present)


def _distinct(windows: tuple[pd.Series, pd.Series]) -> list[object]:
    """The values both windows hold (1 and 1.0 as one), at most a thousand and one."""
    found: dict[tuple[str, object], object] = {}
    for window in windows:
        for value in pd.unique(window.dropna())[: MAX_VALUES + 1]:
            found.setdefault(_key(value), value)
    values = list(found.values())[: MAX_VALUES + 1]
    try:
        return sorted(values)  # type: ignore[type-var]
    except TypeError:
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))


def _key(value: object) -> tuple[str, object]:
    if isinstance(value, bool | np.bool_):
        return ("bool", bool(value))
    if _numeric(value):
        return ("number", float(value))  # type: ignore[arg-type]
    return (type(value).__name__, value)


def _match(wanted: str, values: list[object]) -> object | None:
    text = wanted.strip()
    for value in values:
        if value_name(value) == text or str(value) == text:
            return value
    lowered = text.lower()
    for value in values:
        if isinstance(value, bool | np.bool_) and lowered in ("true", "false", "yes", "no"):
            if bool(value) == (lowered in ("true", "yes")):
                return value
        elif isinstance(value, str) and value.lower() == lowered:
            return value
    try:
        number = float(text)
    except ValueError:
        return None
    for value in values:
        if _numeric(value) and float(value) == number:  # type: ignore[arg-type]
            return value
    return None


def _numeric(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _same(a: object, b: object) -> bool:
    return _key(a) == _key(b)


def _is_one(value: object) -> bool:
    return (isinstance(value, bool | np.bool_) and bool(value)) or (
        _numeric(value) and float(value) == 1.0  # type: ignore[arg-type]
    )


def _is_zero(value: object) -> bool:
    return (isinstance(value, bool | np.bool_) and not bool(value)) or (
        _numeric(value) and float(value) == 0.0  # type: ignore[arg-type]
    )


def _is_minus_one(value: object) -> bool:
    return _numeric(value) and float(value) == -1.0  # type: ignore[arg-type]


def _one_like(value: object) -> object:
    return True if isinstance(value, bool | np.bool_) else 1


def _listed(values: list[object]) -> str:
    shown = ", ".join(repr(value_name(v)) for v in values[:VALUES_SHOWN])
    if len(values) > MAX_VALUES:
        return shown + " and many more"
    more = len(values) - VALUES_SHOWN
    return shown + (f" and {more:,} more" if more > 0 else "") if values else "none"


def _count(values: list[object]) -> str:
    return f"over {MAX_VALUES:,}" if len(values) > MAX_VALUES else f"{len(values):,}"
