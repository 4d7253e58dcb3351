"""Fairness and model quality between a reference window and a current one, by group,
with the figures and names Fairlearn gives (``MetricFrame`` with ``count``,
``selection_rate``, ``true_positive_rate``, ``false_positive_rate`` and ``accuracy``;
``demographic_parity_difference|ratio`` and ``equalized_odds_difference|ratio``).

Pure: two DataFrames and a ``Request`` in, the findings out as plain data (the form
the JSON output, the timeline, the channel and the post-mortem all read). Every figure
comes from per-group counts (``bincount`` over integer group codes), never from a loop
over groups or rows.

Conventions, Fairlearn's where it has one:

- a rate whose denominator is empty is 0 (a group with no positive labels has a true
  positive rate of 0), as Fairlearn's rates give it through scikit-learn;
- a ratio of two zeros is missing (``null``): ``demographic_parity_ratio`` when no group
  is ever selected; ``equalized_odds_ratio`` is the smaller of the true- and
  false-positive-rate ratios as Python's ``min`` picks it (missing when the first is);
- a row without a group value is in the group "(missing)" (Fairlearn refuses such rows);
  a row without a prediction is left out and counted; a row without a label counts for
  the selection rate but not for the label-based rates;
- a group with fewer rows than ``min_group_size`` in a window is reported as too small
  to judge there: its count is given, its rates are not, and it is left out of that
  window's disparity figures. With ``min_group_size=1`` every figure equals Fairlearn's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bot.diagnosis import groups as grouping
from bot.diagnosis import outcomes, quality
from bot.diagnosis.asking import MIN_GROUP_SIZE, FairnessInputError, Request
from bot.diagnosis.groups import GroupError
from bot.diagnosis.outcomes import Outcome, OutcomeError, Reading

__all__ = ["MIN_GROUP_SIZE", "FairnessInputError", "Request", "analyse", "mask", "verdict"]

FOUR_FIFTHS = 0.8
WINDOWS = ("reference", "current")
RATES = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")
QUALITY = ("precision", "recall", "f1", "roc_auc", "expected_calibration_error")
DISPARITY = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
)
Codes = npt.NDArray[np.int64]


def analyse(reference: pd.DataFrame, current: pd.DataFrame, request: Request) -> dict[str, Any]:
    """The findings for every ``--group`` of ``request``, as plain data (see the module)."""
    _check(reference, current, request)
    tables = {"reference": reference, "current": current}
    try:
        readings = _readings(tables, request)
        read = {w: _outcomes(tables[w], readings) for w in WINDOWS}
        for window in WINDOWS:
            if not read[window][0].present.any():
                raise FairnessInputError(
                    f"The prediction column {request.prediction!r} has no values in the "
                    f"{window} data: there is nothing to judge."
                )
        breakdowns = [
            _breakdown(grouping.group(columns, reference, current), read, request)
            for columns in request.groups
        ]
    except (OutcomeError, GroupError) as problem:
        raise FairnessInputError(str(problem)) from None
    overall = {
        w: _figures(np.zeros(int(read[w][0].present.sum()), dtype=np.int64), 1, read[w])[0]
        for w in WINDOWS
    }
    facts: dict[str, Any] = {
        "prediction": request.prediction,
        "reading": readings[0].described,
        "favourable": (
            outcomes.value_name(readings[0].favourable)
            if readings[0].favourable is not None
            else None
        ),
        "label": request.label,
        "score": readings[0].favourable is None,
        "threshold": request.threshold if readings[0].favourable is None else None,
        "min_group_size": request.min_group_size,
        "rows": {w: len(tables[w]) for w in WINDOWS},
        "left_out": {w: int((~read[w][0].present).sum()) for w in WINDOWS},
        "overall": {**overall, "change": _change(overall["reference"], overall["current"])},
        "breakdowns": breakdowns,
    }
    return finish(facts)


def finish(facts: dict[str, Any]) -> dict[str, Any]:
    """The first breakdown's figures at the top (``groups``, ``reference``, ``current``,
    as Fairlearn names them), and the verdict; run again after renaming groups."""
    first = facts["breakdowns"][0]
    facts.update(
        group=first["group"],
        groups=first["groups"],
        reference=first["reference"],
        current=first["current"],
        change=first["change"],
    )
    facts["verdict"] = verdict(facts)
    return facts


def _check(reference: pd.DataFrame, current: pd.DataFrame, request: Request) -> None:
    for window, table in (("reference", reference), ("current", current)):
        if table.empty:
            raise FairnessInputError(f"The {window} data has no rows: there is nothing to judge.")
    named = [("prediction", request.prediction)]
    named += [("label", request.label)] if request.label else []
    named += [("group", c) for columns in request.groups for c in columns]
    for role, column in named:
        for window, table in (("reference", reference), ("current", current)):
            if column not in table.columns:
                shown = ", ".join(repr(str(c)) for c in list(table.columns)[:12])
                raise FairnessInputError(
                    f"The {role} column {column!r} is not in the {window} data; its columns "
                    f"are {shown}{' and more' if len(table.columns) > 12 else ''}."
                )
    if not request.groups:
        raise FairnessInputError("Name at least one group column with --group.")
    if request.min_group_size < 1:
        raise FairnessInputError("The minimum group size is a whole number of at least 1.")
    if not 0.0 < request.threshold <= 1.0:
        raise FairnessInputError("The score threshold is a number above 0 and at most 1.")


def _readings(tables: dict[str, pd.DataFrame], request: Request) -> list[Reading]:
    """How the prediction (and label) columns are read, decided from both windows."""
    predictions = (tables["reference"][request.prediction], tables["current"][request.prediction])
    if outcomes.is_score(*predictions):
        if request.favourable is not None:
            raise FairnessInputError(
                f"The prediction column {request.prediction!r} is a score between 0 and 1; "
                "its decision is score ≥ --threshold (default 0.5), so --favourable does "
                "not apply to it."
            )
        prediction = Reading(request.prediction, None, request.threshold)
    else:
        prediction = outcomes.decide(
            request.prediction, predictions, request.favourable, "prediction"
        )
    readings = [prediction]
    if request.label:
        labels = (tables["reference"][request.label], tables["current"][request.label])
        try:  # the favourable value names the good label too, where the label has it
            readings.append(outcomes.decide(request.label, labels, request.favourable, "label"))
        except OutcomeError:
            if request.favourable is None:
                raise
            readings.append(outcomes.decide(request.label, labels, None, "label"))
    return readings


def _outcomes(table: pd.DataFrame, readings: list[Reading]) -> list[Outcome]:
    return [outcomes.read(table[r.column], r) for r in readings]


def _breakdown(
    groups: grouping.Grouping, read: dict[str, list[Outcome]], request: Request
) -> dict[str, Any]:
    count = len(groups.names)
    by_window: dict[str, list[dict[str, Any] | None]] = {}
    disparity: dict[str, dict[str, Any]] = {}
    for window in WINDOWS:
        codes = getattr(groups, window)[read[window][0].present]
        figures = _figures(codes, count, read[window])
        by_window[window] = [
            None if f["count"] == 0 else _judged(f, request.min_group_size) for f in figures
        ]
        disparity[window] = _disparity(by_window[window], len(read[window]) > 1)
    named: dict[str, dict[str, Any]] = {}
    for index, name in sorted(enumerate(groups.names), key=_group_order):
        ref, cur = by_window["reference"][index], by_window["current"][index]
        named[name] = {"reference": ref, "current": cur, "change": _change(ref, cur)}
    return {
        "group": ",".join(groups.columns),
        "columns": list(groups.columns),
        "groups": named,
        "reference": disparity["reference"],
        "current": disparity["current"],
        "change": _change(disparity["reference"], disparity["current"]),
    }


def _group_order(item: tuple[int, str]) -> tuple[bool, str]:
    return (item[1] == grouping.MISSING, item[1])


def _figures(codes: Codes, count: int, read: list[Outcome]) -> list[dict[str, Any]]:
    """Each group's figures in one window (``codes`` for the rows with a prediction)."""
    prediction = read[0]
    chosen = prediction.present
    yes = prediction.yes[chosen]
    rows = np.bincount(codes, minlength=count)
    selected = np.bincount(codes[yes], minlength=count)
    columns: dict[str, Any] = {
        "count": rows,
        "selection_rate": quality.ratio(selected, rows),
    }
    if len(read) > 1:
        label = read[1]
        has = label.present[chosen]
        positive = label.yes[chosen] & has
        negative = has & ~positive
        pos = np.bincount(codes[positive], minlength=count)
        neg = np.bincount(codes[negative], minlength=count)
        tp = np.bincount(codes[positive & yes], minlength=count)
        fp = np.bincount(codes[negative & yes], minlength=count)
        columns.update(
            true_positive_rate=quality.ratio(tp, pos),
            false_positive_rate=quality.ratio(fp, neg),
            accuracy=_nan_where(quality.ratio(tp + neg - fp, pos + neg), pos + neg == 0),
            precision=quality.ratio(tp, tp + fp),
            recall=quality.ratio(tp, pos),
            f1=quality.ratio(2 * tp, 2 * tp + fp + (pos - tp)),
            positives=pos,
            negatives=neg,
        )
        if prediction.score is not None:
            scores, truth = prediction.score[chosen][has], positive[has]
            columns.update(
                roc_auc=quality.roc_auc(codes[has], count, scores, truth),
                expected_calibration_error=quality.calibration_error(
                    codes[has], count, scores, truth
                ),
            )
    return [{key: _plain(values[i]) for key, values in columns.items()} for i in range(count)]


def _judged(figures: dict[str, Any], min_size: int) -> dict[str, Any]:
    if figures["count"] >= min_size:
        return figures
    return {"count": figures["count"], "too_small": True}


def _disparity(figures: Sequence[dict[str, Any] | None], labelled: bool) -> dict[str, Any]:
    judged = [f for f in figures if f is not None and not f.get("too_small")]
    keys = DISPARITY if labelled else DISPARITY[:2]
    if not judged:
        return {"groups_judged": 0, **dict.fromkeys(keys), "four_fifths_rule": None}
    result: dict[str, Any] = {"groups_judged": len(judged)}
    rates = np.array([f["selection_rate"] for f in judged])
    result["demographic_parity_difference"] = float(rates.max() - rates.min())
    result["demographic_parity_ratio"] = _ratio(rates)
    if labelled:
        tpr = np.array([f["true_positive_rate"] for f in judged])
        fpr = np.array([f["false_positive_rate"] for f in judged])
        # Fairlearn takes Python's max and min over the (tpr, fpr) pair: kept as it is.
        result["equalized_odds_difference"] = _plain(
            max(float(tpr.max() - tpr.min()), float(fpr.max() - fpr.min()))
        )
        result["equalized_odds_ratio"] = _plain(min(_nan(_ratio(tpr)), _nan(_ratio(fpr))))
    parity = result["demographic_parity_ratio"]
    result["four_fifths_rule"] = (
        None if parity is None else ("met" if parity >= FOUR_FIFTHS else "breached")
    )
    return result


def _ratio(values: npt.NDArray[np.float64]) -> float | None:
    top = float(values.max())
    return None if top == 0 else float(values.min()) / top


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any] | None:
    """``after - before`` for each figure both have (None when either window is missing or
    too small to judge)."""
    if not before or not after or before.get("too_small") or after.get("too_small"):
        return None
    return {
        key: after[key] - before[key]
        for key in (*RATES, *QUALITY, *DISPARITY)
        if isinstance(before.get(key), float) and isinstance(after.get(key), float)
    }


def _nan_where(values: npt.NDArray[np.float64], where: npt.NDArray[np.bool_]) -> Any:
    return np.where(where, np.nan, values)


def _plain(value: Any) -> Any:
    """A JSON-ready number: ints as ints, NaN as None."""
    if isinstance(value, np.integer):
        return int(value)
    number = float(value)
    return None if math.isnan(number) else number


def verdict(facts: dict[str, Any]) -> str:
    """The finding in words, led by the group whose selection rate moved most."""
    first = facts["breakdowns"][0]
    moved = _largest_move(first["groups"])
    parts: list[str] = []
    if moved is None:
        parts.append("No group is large enough in both windows to compare")
    else:
        name, before, after = moved
        if abs(after - before) < 0.01:
            parts.append(
                f"Selection rates held (largest move: group {name}, "
                f"{_pct(before)} to {_pct(after)})"
            )
        else:
            way = "rose" if after > before else "fell"
            parts.append(
                f"Selection rate for group {name} {way} from {_pct(before)} to {_pct(after)}"
            )
    current = first["current"]
    parity = current.get("demographic_parity_ratio")
    if parity is not None:
        side = "below" if parity < FOUR_FIFTHS else "at or above"
        parts.append(f"parity ratio {parity:.2f}, {side} {FOUR_FIFTHS:g}")
    odds = current.get("equalized_odds_difference")
    if odds is not None:
        was = first["reference"].get("equalized_odds_difference")
        parts.append(
            f"equalized odds difference {odds:.2f}"
            + (f" (was {was:.2f})" if was is not None else "")
        )
    return "; ".join(parts) + "."


def _largest_move(named: dict[str, Any]) -> tuple[str, float, float] | None:
    best: tuple[str, float, float] | None = None
    for name, windows in named.items():
        if windows["change"] is None or "selection_rate" not in windows["change"]:
            continue
        before = windows["reference"]["selection_rate"]
        after = windows["current"]["selection_rate"]
        if best is None or abs(after - before) > abs(best[2] - best[1]):
            best = (name, before, after)
    return best


def _pct(share: float) -> str:
    return f"{share:.1%}"


def breached(facts: dict[str, Any]) -> bool:
    """Whether the current window breaks the four-fifths rule in any breakdown."""
    return any(b["current"].get("four_fifths_rule") == "breached" for b in facts["breakdowns"])


def mask(facts: dict[str, Any], sensitive: Sequence[str]) -> dict[str, Any]:
    """The findings with the group names of ``sensitive`` columns replaced by "#1",
    "#2"… (largest in the reference window first), for a public channel."""
    hidden = {c.lower() for c in sensitive}
    breakdowns = []
    for breakdown in facts["breakdowns"]:
        if not hidden & {c.lower() for c in breakdown["columns"]}:
            breakdowns.append(breakdown)
            continue
        order = sorted(
            breakdown["groups"].items(),
            key=lambda item: (-_rows(item[1], "reference"), -_rows(item[1], "current")),
        )
        renamed = {f"#{i}": windows for i, (_, windows) in enumerate(order, start=1)}
        breakdowns.append({**breakdown, "groups": renamed, "masked": True})
    return finish({**facts, "breakdowns": breakdowns})


def _rows(windows: dict[str, Any], window: str) -> int:
    figures = windows.get(window)
    return int(figures["count"]) if figures else 0
