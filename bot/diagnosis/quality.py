"""Model quality per group from counts: accuracy, precision, recall and F1 from the
confusion counts, and, when the prediction is a score, ROC AUC and the expected
calibration error. Every figure is computed for all groups at once (one sort, a few
``bincount`` calls), so a million rows take milliseconds, and no scikit-learn is needed.

Conventions, as scikit-learn's defaults give them: precision with no positive predictions,
and F1 with neither predictions nor labels positive, are 0. ROC AUC needs both outcomes in
a group and is missing (None) otherwise. The calibration error uses ten equal bins of
[0, 1] (a score of exactly 1 falls in the last): the mean over rows of
|share of positive labels - mean score| weighted by each bin's rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Codes = npt.NDArray[np.int64]
Counts = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]
BINS = 10


def ratio(top: Counts | Floats, bottom: Counts | Floats) -> Floats:
    """``top / bottom``, 0 where ``bottom`` is 0 (scikit-learn's and Fairlearn's convention
    for an undefined rate)."""
    out = np.zeros(len(bottom), dtype=np.float64)
    np.divide(top, bottom, out=out, where=np.asarray(bottom) != 0)
    return out


def roc_auc(codes: Codes, groups: int, score: Floats, positive: Flags) -> Floats:
    """ROC AUC of each group (NaN where a group lacks one of the outcomes): the
    Mann-Whitney statistic from average ranks, ties sharing their rank."""
    order = np.lexsort((score, codes))
    code, value = codes[order], score[order]
    n = len(order)
    # Runs of equal (group, score): each run's rows share the average of its ranks.
    starts = np.flatnonzero(np.r_[True, (code[1:] != code[:-1]) | (value[1:] != value[:-1])])
    ends = np.r_[starts[1:], n]
    first_of_group = np.zeros(groups, dtype=np.int64)
    sizes = np.bincount(code, minlength=groups)
    first_of_group[1:] = np.cumsum(sizes)[:-1]
    run_code = code[starts]
    average = (starts + ends - 1) / 2.0 + 1.0 - first_of_group[run_code]
    rank = np.repeat(average, ends - starts)
    hits = positive[order]
    rank_sum = np.bincount(code[hits], weights=rank[hits], minlength=groups)
    pos = np.bincount(code[hits], minlength=groups).astype(np.float64)
    neg = sizes - pos
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg)
    auc[(pos == 0) | (neg == 0)] = np.nan
    return auc


def calibration_error(codes: Codes, groups: int, score: Floats, positive: Flags) -> Floats:
    """Expected calibration error of each group over ten equal bins (NaN for no rows)."""
    bins = np.minimum((score * BINS).astype(np.int64), BINS - 1)
    cell = codes * BINS + np.clip(bins, 0, BINS - 1)
    cells = groups * BINS
    scored = np.bincount(cell, weights=score, minlength=cells)
    labelled = np.bincount(cell[positive], minlength=cells).astype(np.float64)
    gap = np.abs(labelled - scored).reshape(groups, BINS).sum(axis=1)
    rows = np.bincount(codes, minlength=groups).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rows > 0, gap / rows, np.nan)
