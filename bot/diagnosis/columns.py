"""What kind of column a column is, decided as Evidently decides it, so our test choice and
theirs agree (``evidently.core.datasets.infer_column_type``, 0.7)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pandas as pd

# Integer columns with at most this many distinct values are categories (codes, flags).
INTEGER_CARDINALITY_LIMIT = 10


class ColumnKind(StrEnum):
    NUMERICAL = "numerical"
    CATEGORICAL = "categorical"
    TEXT = "text"  # free text: mostly distinct strings; not tested for drift here
    OTHER = "other"  # dates, lists, empty columns: not tested

    @property
    def tested(self) -> bool:
        return self in (ColumnKind.NUMERICAL, ColumnKind.CATEGORICAL)


def kind_of(column: pd.Series) -> ColumnKind:
    name = column.dtype.name
    if name.startswith("float"):
        return ColumnKind.NUMERICAL
    if name.startswith(("int", "uint")):
        return (
            ColumnKind.CATEGORICAL
            if column.nunique() <= INTEGER_CARDINALITY_LIMIT
            else ColumnKind.NUMERICAL
        )
    if name in ("bool", "category", "boolean"):
        return ColumnKind.CATEGORICAL
    if name in ("string", "str", "object"):
        return kind_from_counts(column, column.nunique(), int(column.count()))
    return ColumnKind.OTHER


def kind_from_counts(column: pd.Series, distinct: int, present: int) -> ColumnKind:
    """A column of strings: categories, or free text when most values are distinct. Like
    Evidently, judge "strings" by the first and last values present."""
    if present == 0:
        return ColumnKind.OTHER
    values = column.to_numpy()
    first, last = _first_present(values), _first_present(values[::-1])
    if not (isinstance(first, str) and isinstance(last, str)):
        return ColumnKind.OTHER
    return ColumnKind.TEXT if distinct > present * 0.5 else ColumnKind.CATEGORICAL


def _first_present(values: Any) -> object:
    """The first value that is not missing (the caller knows there is one)."""
    for value in values:
        if not pd.isna(value):
            return value
    return None
