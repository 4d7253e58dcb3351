"""The drift tests, chosen and thresholded as Evidently's defaults are, computed once per column.

Evidently's choice (``legacy/calculations/stattests/registry.py``, 0.7), by the
reference sample's size after dropping missing values and by the number of
distinct values in both samples together:

| reference rows | numerical, > 5 values | numerical, <= 5 values | categorical |
|---|---|---|---|
| <= 1000 | Kolmogorov–Smirnov p <= 0.05 | chi-squared (> 2 values) or Z-test, p < 0.05 | same |
| > 1000  | normed Wasserstein >= 0.1 | Jensen–Shannon distance >= 0.1 | Jensen–Shannon >= 0.1 |

The large-sample tests are distances, not p-values, on purpose: on tens of
thousands of rows a Kolmogorov–Smirnov test calls differences drift that no one
would act on. Every number here is computed from one sort of each numerical
column (or one count of each categorical column's values); PSI comes from the
same pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy import stats
from scipy.spatial import distance

SMALL_SAMPLE = 1000  # reference rows up to which p-value tests are used
FEW_VALUES = 5  # numerical columns with at most this many values are tested as categories
PSI_BINNED_ABOVE = 20  # PSI bins numerical values when the reference has more than this many

Floats = npt.NDArray[np.float64]
Counts = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]


class Method(StrEnum):
    KS = "ks"
    CHI_SQUARED = "chisquare"
    Z = "z"
    WASSERSTEIN = "wasserstein"
    JENSEN_SHANNON = "jensenshannon"

    @property
    def label(self) -> str:
        return {
            "ks": "K-S p-value",
            "chisquare": "chi-squared p-value",
            "z": "Z-test p-value",
            "wasserstein": "Wasserstein distance (normed)",
            "jensenshannon": "Jensen-Shannon distance",
        }[self.value]

    @property
    def is_p_value(self) -> bool:
        return self in (Method.KS, Method.CHI_SQUARED, Method.Z)

    @property
    def threshold(self) -> float:
        return 0.05 if self.is_p_value else 0.1

    def drifted(self, score: float) -> bool:
        """Evidently's comparisons, to the letter (K-S uses <=, the other p-values <)."""
        if self is Method.KS:
            return score <= self.threshold
        if self.is_p_value:
            return score < self.threshold
        return score >= self.threshold


@dataclass(frozen=True)
class StatResult:
    method: Method
    score: float
    drifted: bool
    psi: float
    # For the chart: bin edges (numerical) or category labels, and each side's shares.
    bins: list[float] | list[str]
    reference_share: list[float]
    current_share: list[float]


def numerical(reference: Floats, current: Floats) -> StatResult:
    """Drift of a numerical column (finite values only, each side non-empty)."""
    ref = np.sort(reference, kind="quicksort")
    cur = np.sort(current, kind="quicksort")
    ref_distinct = _count_distinct(ref)
    if ref_distinct <= FEW_VALUES and _count_distinct(cur) <= FEW_VALUES:
        values, ref_counts, cur_counts = _sorted_counts(ref, cur)
        if len(values) <= FEW_VALUES:
            return categorical([str(v) for v in values], ref_counts, cur_counts, numeric=values)
    edges = sturges_edges(min(ref[0], cur[0]), max(ref[-1], cur[-1]), len(ref) + len(cur))
    ref_hist, cur_hist = _histogram(ref, edges), _histogram(cur, edges)
    if ref_distinct > PSI_BINNED_ABOVE:
        psi = _psi(ref_hist / len(ref), cur_hist / len(cur))
    else:  # few reference values: PSI over the values themselves, as Evidently's
        _, ref_counts, cur_counts = _sorted_counts(ref, cur)
        psi = _psi(ref_counts / len(ref), cur_counts / len(cur))
    if len(ref) <= SMALL_SAMPLE:
        method, score = Method.KS, float(stats.ks_2samp(ref, cur).pvalue)
    else:
        norm = max(float(np.std(ref)), 0.001)
        method, score = Method.WASSERSTEIN, wasserstein(ref, cur) / norm
    return StatResult(
        method,
        score,
        method.drifted(score),
        psi,
        [float(e) for e in edges],
        (ref_hist / len(ref)).tolist(),
        (cur_hist / len(cur)).tolist(),
    )


def categorical(
    labels: list[str],
    reference_counts: Counts,
    current_counts: Counts,
    numeric: Floats | None = None,
) -> StatResult:
    """Drift of a categorical column from each value's count on both sides (labels sorted
    as Evidently sorts the values, so the Z-test's first category is theirs)."""
    n_ref, n_cur = int(reference_counts.sum()), int(current_counts.sum())
    ref_share, cur_share = reference_counts / n_ref, current_counts / n_cur
    if n_ref <= SMALL_SAMPLE:
        if len(labels) > 2:
            method = Method.CHI_SQUARED
            expected = reference_counts * (n_cur / n_ref)
            score = float(stats.chisquare(current_counts, expected).pvalue)
        else:
            method, score = Method.Z, _z_test(reference_counts, current_counts)
    else:
        method = Method.JENSEN_SHANNON
        score = float(distance.jensenshannon(ref_share, cur_share))
    return StatResult(
        method,
        score,
        method.drifted(score),
        _psi(ref_share, cur_share),
        labels,
        ref_share.tolist(),
        cur_share.tolist(),
    )


def sturges_edges(low: float, high: float, size: int) -> Floats:
    """``np.histogram_bin_edges(both, bins="sturges")`` from the two samples' joint range and
    size alone (it reads nothing else), computed as NumPy computes it, step by step, so the
    edges are the same to the last bit without joining the samples."""
    first, last = np.float64(low), np.float64(high)
    if first == last:
        first, last = first - 0.5, last + 0.5
    width = np.subtract(last, first) / (np.log2(size) + 1.0)
    bins = int(np.ceil(np.subtract(last, first) / width)) if width else 1
    return np.linspace(first, last, bins + 1, endpoint=True, dtype=np.float64)


def wasserstein(ref: Floats, cur: Floats) -> float:
    """First Wasserstein distance of two sorted samples, as scipy's: the area between their
    quantile functions. Breakpoints are kept as integers over ``n * m`` (ref's k-th at
    ``k * m``, cur's at ``k * n``), so every interval and whose value holds on it is known
    by arithmetic: no merged array, no binary search. Equal sizes pair the values."""
    n, m = len(ref), len(cur)
    if n == m:
        return float(np.abs(ref - cur).mean())
    # Intervals ending at one of ref's breakpoints: they start after the previous breakpoint
    # of either sample, and cur's value there is the one whose step holds the end.
    ends = np.arange(1, n + 1, dtype=np.int64) * m
    starts = np.maximum(ends - m, ((ends - 1) // n) * n)
    area = np.dot(ends - starts, np.abs(ref - cur[(ends + (n - 1)) // n - 1]))
    # Intervals ending at one of cur's breakpoints that is not also one of ref's.
    ends = np.arange(1, m + 1, dtype=np.int64) * n
    starts = np.maximum(ends - n, ((ends - 1) // m) * m)
    own = np.where(ends % m != 0, ends - starts, 0)
    area += np.dot(own, np.abs(ref[(ends + (m - 1)) // m - 1] - cur))
    return float(area) / (n * m)


def _count_distinct(sorted_values: Floats) -> int:
    return 1 + int(np.count_nonzero(sorted_values[1:] != sorted_values[:-1]))


def _sorted_counts(ref: Floats, cur: Floats) -> tuple[Floats, Counts, Counts]:
    """Each distinct value of two sorted samples, and how often each sample has it."""
    values = np.union1d(_distinct(ref), _distinct(cur))
    return values, _count_in(ref, values), _count_in(cur, values)


def _count_in(sorted_values: Floats, values: Floats) -> Counts:
    above = np.searchsorted(sorted_values, values, side="right")
    return (above - np.searchsorted(sorted_values, values, side="left")).astype(np.int64)


def _distinct(sorted_values: Floats) -> Floats:
    keep = np.empty(len(sorted_values), dtype=bool)
    keep[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=keep[1:])
    return sorted_values[keep]


def _histogram(sorted_values: Floats, edges: Floats) -> Floats:
    """np.histogram's counts (last bin closed) from a sorted sample, by binary search."""
    cuts = np.searchsorted(sorted_values, edges, side="left")
    cuts[-1] = np.searchsorted(sorted_values, edges[-1], side="right")
    return np.diff(cuts).astype(np.float64)


def _psi(ref_share: Floats, cur_share: Floats) -> float:
    """Population stability index; empty bins get a tiny share, as Evidently's do."""
    ref, cur = _fill_zeroes(ref_share), _fill_zeroes(cur_share)
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def _fill_zeroes(shares: Floats) -> Floats:
    filled = np.array(shares, dtype=np.float64)
    present = filled[filled > 0]
    if present.size == 0:
        return np.full_like(filled, 1.0 / max(len(filled), 1))
    smallest = float(present.min())
    filled[filled == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return filled


def _z_test(reference_counts: Counts, current_counts: Counts) -> float:
    """Two-proportion Z-test on the share of the first category (Evidently's ``z`` test)."""
    if len(reference_counts) == 1 or (
        np.count_nonzero(reference_counts) == 1
        and np.count_nonzero(current_counts) == 1
        and np.argmax(reference_counts) == np.argmax(current_counts)
    ):
        return 1.0
    n1, n2 = int(reference_counts.sum()), int(current_counts.sum())
    p1 = (n1 - int(reference_counts[0])) / n1  # share of "not the first category"
    p2 = (n2 - int(current_counts[0])) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0
    z = (p1 - p2) / spread
    return float(2 * (1 - stats.norm.cdf(abs(z))))
