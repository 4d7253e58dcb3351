"""Sorting the rows of two windows into the groups of one or more columns
(``--group sex`` or the intersection ``--group sex,age_band``), as integer codes both
windows share, so every per-group figure after this is one ``bincount``.

A row with no value in a group column belongs to the group "(missing)" of that column:
Fairlearn refuses missing values, and an incident wants to see them (a pipeline that
blanks a column for some rows is itself a finding), so no row is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bot.diagnosis.outcomes import value_name

Codes = npt.NDArray[np.int64]
MAX_GROUPS = 1000  # distinct groups (or combinations) one breakdown may have
MISSING = "(missing)"
_DENSE_UP_TO = 4_000_000  # combinations counted in one array before sorting instead


class GroupError(ValueError):
    """The groups cannot be formed; the message names the column and the limit."""


@dataclass(frozen=True)
class Grouping:
    """The rows of both windows as group codes, and each code's name."""

    columns: tuple[str, ...]
    names: list[str]  # by code
    reference: Codes
    current: Codes


def group(columns: tuple[str, ...], reference: pd.DataFrame, current: pd.DataFrame) -> Grouping:
    """Codes for ``columns`` (one, or an intersection) over both windows."""
    parts = [_one_column(column, reference[column], current[column]) for column in columns]
    if len(parts) == 1:
        names, ref, cur = parts[0]
        return Grouping(columns, names, ref, cur)
    sizes = [len(names) for names, _, _ in parts]
    ref = np.zeros(len(reference), dtype=np.int64)
    cur = np.zeros(len(current), dtype=np.int64)
    for (_, ref_part, cur_part), size in zip(parts, sizes, strict=True):
        ref = ref * size + ref_part
        cur = cur * size + cur_part
    present = _present_combinations(ref, cur, int(np.prod(sizes, dtype=np.float64)))
    if len(present) > MAX_GROUPS:
        raise GroupError(
            f"The groups {' × '.join(map(repr, columns))} make {len(present):,} combinations; "
            f"at most {MAX_GROUPS:,} are compared. Group by fewer columns."
        )
    names = [_combined_name(code, parts, sizes) for code in present]
    return Grouping(columns, names, np.searchsorted(present, ref), np.searchsorted(present, cur))


def _one_column(
    column: str, reference: pd.Series, current: pd.Series
) -> tuple[list[str], Codes, Codes]:
    ref_codes, ref_values = pd.factorize(reference, use_na_sentinel=True)
    cur_codes, cur_values = pd.factorize(current, use_na_sentinel=True)
    values = pd.Index(ref_values).append(pd.Index(cur_values)).unique()
    missing = bool((ref_codes < 0).any() or (cur_codes < 0).any())
    if len(values) + missing > MAX_GROUPS:
        raise GroupError(
            f"The group column {column!r} has {len(values) + missing:,} distinct values; "
            f"at most {MAX_GROUPS:,} groups are compared. Is it an identifier rather than "
            "a group? Give a column of groups (or bands of it)."
        )
    names = [value_name(v) for v in values]
    if len(set(names)) < len(names):  # 1 and "1" in one column: keep them apart
        names = [f"{name} ({type(v).__name__})" for name, v in zip(names, values, strict=True)]
    if missing:
        names.append(MISSING)
    return names, _mapped(ref_codes, ref_values, values), _mapped(cur_codes, cur_values, values)


def _mapped(codes: npt.NDArray[np.intp], local: Any, shared: pd.Index) -> Codes:
    """One window's codes (missing as -1) as codes into the shared values (missing last)."""
    into = shared.get_indexer(pd.Index(local))
    table = np.append(into, len(shared)).astype(np.int64)  # index -1 reads the last slot
    return table[codes]


def _present_combinations(ref: Codes, cur: Codes, possible: int) -> Codes:
    if possible <= _DENSE_UP_TO:
        seen = np.bincount(ref, minlength=possible) + np.bincount(cur, minlength=possible)
        return np.flatnonzero(seen).astype(np.int64)
    return np.unique(np.concatenate([ref, cur]))


def _combined_name(code: int, parts: list[tuple[list[str], Codes, Codes]], sizes: list[int]) -> str:
    names: list[str] = []
    for (part_names, _, _), size in zip(reversed(parts), reversed(sizes), strict=True):
        code, index = divmod(int(code), size)
        names.append(part_names[index])
    return ", ".join(reversed(names))
