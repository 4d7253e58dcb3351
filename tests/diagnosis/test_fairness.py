"""The fairness analysis against Fairlearn on the same data: every per-group figure and
every disparity figure equal to 1e-9, across the shapes data takes in an incident."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bot.diagnosis.fairness import FairnessInputError, Request, analyse, breached, mask
from bot.diagnosis.printed import report
from tests.diagnosis.fairness_data import fairlearn_figures, windows
from tests.support import run_cli

TOLERANCE = 1e-9
PER_GROUP = ("count", "selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")
ACROSS = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
)


def same(ours: Any, theirs: Any) -> bool:
    if ours is None:
        return theirs is None or math.isnan(float(theirs))
    return abs(float(ours) - float(theirs)) <= TOLERANCE


def assert_agrees(
    facts: dict[str, Any],
    window: str,
    frame: pd.DataFrame,
    *,
    group: str | list[str] = "group",
    predicted: Any = None,
    label: Any = None,
    breakdown: int = 0,
) -> None:
    theirs = fairlearn_figures(
        frame,
        group=group,
        predicted=frame["predicted"] if predicted is None else predicted,
        label=frame["label"] if label is None else label,
    )
    ours = facts["breakdowns"][breakdown]
    present = {
        name
        for name, w in ours["groups"].items()
        if w[window] is not None and not w[window].get("too_small")
    }
    assert present == set(theirs["groups"]), (window, present, set(theirs["groups"]))
    for name, figures in theirs["groups"].items():
        mine = ours["groups"][name][window]
        for key in PER_GROUP:
            assert same(mine[key], figures[key]), (window, name, key, mine[key], figures[key])
    for key in ACROSS:
        assert same(ours[window][key], theirs[key]), (window, key, ours[window][key], theirs[key])


@pytest.mark.parametrize("groups", [2, 5, 40])
def test_every_figure_equals_fairlearns(groups: int) -> None:
    reference, current = windows(2500, groups, seed=groups)
    facts = analyse(
        reference, current, Request((("group",),), "predicted", "label", min_group_size=1)
    )
    assert_agrees(facts, "reference", reference)
    assert_agrees(facts, "current", current)
    assert facts["groups"] is facts["breakdowns"][0]["groups"]  # Fairlearn's names at the top


def test_the_shifted_group_leads_the_verdict() -> None:
    reference, current = windows(20000, 5, seed=7, shifted=3)
    facts = analyse(reference, current, Request((("group",),), "predicted", "label"))
    before = facts["groups"]["g03"]["reference"]["selection_rate"]
    after = facts["groups"]["g03"]["current"]["selection_rate"]
    assert after < before * 0.6
    said = re.match(
        r"Selection rate for group g03 fell from ([\d.]+)% to ([\d.]+)%", facts["verdict"]
    )
    assert said, facts["verdict"]
    assert abs(float(said.group(1)) - before * 100) < 0.051
    assert abs(float(said.group(2)) - after * 100) < 0.051
    parity = facts["current"]["demographic_parity_ratio"]
    assert f"parity ratio {parity:.2f}, below 0.8" in facts["verdict"]
    assert facts["current"]["four_fifths_rule"] == "breached"
    assert facts["reference"]["four_fifths_rule"] == "met"
    assert breached(facts)
    change = facts["change"]["demographic_parity_ratio"]
    assert same(change, parity - facts["reference"]["demographic_parity_ratio"])


def test_missing_group_values_are_a_group_of_their_own() -> None:
    reference, current = windows(3000, 4, seed=11)
    current.loc[current.index % 7 == 0, "group"] = None
    facts = analyse(
        reference, current, Request((("group",),), "predicted", "label", min_group_size=1)
    )
    assert facts["groups"]["(missing)"]["reference"] is None
    filled = current.assign(group=current["group"].fillna("(missing)"))
    assert_agrees(facts, "current", filled)
    assert_agrees(facts, "reference", reference)


def test_a_group_absent_from_one_window() -> None:
    reference, current = windows(3000, 4, seed=12)
    current = current[current.group != "g02"].reset_index(drop=True)
    facts = analyse(
        reference, current, Request((("group",),), "predicted", "label", min_group_size=1)
    )
    assert facts["groups"]["g02"]["current"] is None
    assert facts["groups"]["g02"]["change"] is None
    assert facts["groups"]["g02"]["reference"]["count"] == int((reference.group == "g02").sum())
    assert_agrees(facts, "reference", reference)
    assert_agrees(facts, "current", current)
    assert "absent" in report(facts)


def test_a_group_with_one_label_value_follows_fairlearns_zero_rates() -> None:
    reference, current = windows(3000, 3, seed=13)
    current.loc[current.group == "g00", "label"] = 1  # no negatives: FPR undefined, 0
    reference.loc[reference.group == "g01", "label"] = 0  # no positives: TPR undefined, 0
    facts = analyse(
        reference, current, Request((("group",),), "predicted", "label", min_group_size=1)
    )
    assert facts["groups"]["g00"]["current"]["false_positive_rate"] == 0.0
    assert facts["groups"]["g00"]["current"]["negatives"] == 0
    assert facts["groups"]["g01"]["reference"]["true_positive_rate"] == 0.0
    assert_agrees(facts, "reference", reference)
    assert_agrees(facts, "current", current)


def test_ratios_of_zeros_are_empty_as_in_fairlearn() -> None:
    reference, current = windows(2000, 3, seed=14)
    current["predicted"] = 0  # nobody selected: 0 / 0
    facts = analyse(
        reference, current, Request((("group",),), "predicted", "label", min_group_size=1)
    )
    assert facts["current"]["demographic_parity_ratio"] is None
    assert facts["current"]["equalized_odds_ratio"] is None
    assert facts["current"]["four_fifths_rule"] is None
    assert_agrees(facts, "current", current)
    json.dumps(facts, allow_nan=False)  # None, never NaN, in what is printed


@pytest.mark.parametrize(
    ("values", "favourable"),
    [
        (("approve", "deny"), "approve"),
        ((True, False), None),
        ((1, 0), None),
        ((1, -1), None),
        ((7, 2), "7"),
        (("Y", "N"), "y"),
    ],
    ids=["strings", "booleans", "zero-one", "minus-one-one", "integers-named", "case"],
)
def test_predictions_of_any_type(values: tuple[Any, Any], favourable: str | None) -> None:
    reference, current = windows(3000, 4, seed=15)
    good, bad = values
    for frame in (reference, current):
        frame["decision"] = np.where(frame.predicted == 1, good, bad).astype(type(good))
        frame["truth"] = np.where(frame.label == 1, good, bad).astype(type(good))
    facts = analyse(
        reference,
        current,
        Request((("group",),), "decision", "truth", favourable=favourable, min_group_size=1),
    )
    for window, frame in (("reference", reference), ("current", current)):
        assert_agrees(facts, window, frame)  # Fairlearn on the same outcomes as 0/1


def test_intersections_equal_fairlearns_multiple_features() -> None:
    reference, current = windows(3000, 3, seed=16)
    facts = analyse(
        reference,
        current,
        Request((("group",), ("group", "band")), "predicted", "label", min_group_size=1),
    )
    assert len(facts["breakdowns"][1]["groups"]) == 9
    assert "g00, 18-30" in facts["breakdowns"][1]["groups"]
    for window, frame in (("reference", reference), ("current", current)):
        assert_agrees(facts, window, frame)
        assert_agrees(facts, window, frame, group=["group", "band"], breakdown=1)


def test_a_small_group_is_not_judged_and_leaves_the_disparity() -> None:
    reference, current = windows(3000, 3, seed=17)
    few = pd.DataFrame({"group": ["tiny"] * 8, "band": "18-30", "predicted": 0, "score": 0.1})
    current = pd.concat([current, few.assign(label=1)], ignore_index=True)
    facts = analyse(reference, current, Request((("group",),), "predicted", "label"))
    assert facts["groups"]["tiny"]["current"] == {"count": 8, "too_small": True}
    assert facts["current"]["groups_judged"] == 3
    assert_agrees(facts, "current", current[current.group != "tiny"])
    assert "too few rows to judge" in report(facts)


def test_quality_per_window_and_group_equals_scikit_learns() -> None:
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    reference, current = windows(5000, 3, seed=18)
    facts = analyse(reference, current, Request((("group",),), "score", "label"))
    assert facts["score"] and facts["reading"] == "score ≥ 0.5"
    for window, frame in (("reference", reference), ("current", current)):
        parts = [("overall", frame, facts["overall"][window])] + [
            (name, frame[frame.group == name], facts["groups"][name][window])
            for name in facts["groups"]
        ]
        for name, part, ours in parts:
            decided = (part.score >= 0.5).astype(int)
            expected = {
                "precision": precision_score(part.label, decided, zero_division=0),
                "recall": recall_score(part.label, decided, zero_division=0),
                "f1": f1_score(part.label, decided, zero_division=0),
                "roc_auc": roc_auc_score(part.label, part.score),
                "expected_calibration_error": calibration_error(part.score, part.label),
            }
            for key, value in expected.items():
                assert same(ours[key], value), (window, name, key, ours[key], value)
    assert "ROC AUC" in report(facts)


def calibration_error(score: pd.Series, label: pd.Series) -> float:
    """Ten equal bins, written the long way round."""
    total = 0.0
    bins = np.minimum((score.to_numpy() * 10).astype(int), 9)
    for b in range(10):
        inside = bins == b
        if inside.any():
            gap = abs(label.to_numpy()[inside].mean() - score.to_numpy()[inside].mean())
            total += inside.sum() / len(score) * gap
    return total


def test_a_group_with_one_outcome_has_no_roc_auc() -> None:
    reference, current = windows(2000, 2, seed=19)
    current.loc[current.group == "g00", "label"] = 0
    facts = analyse(reference, current, Request((("group",),), "score", "label"))
    assert facts["groups"]["g00"]["current"]["roc_auc"] is None
    assert facts["groups"]["g01"]["current"]["roc_auc"] is not None


@pytest.mark.parametrize(
    ("change", "request_", "expected"),
    [
        ({}, Request((("region",),), "predicted"), "group column 'region' is not in the reference"),
        ({}, Request((("group",),), "nope"), "prediction column 'nope' is not in the reference"),
        ({}, Request((("group",),), "predicted", "truth"), "label column 'truth'"),
        (
            {"predicted": "multi"},
            Request((("group",),), "predicted"),
            "prediction column 'predicted' is not binary: it has 3 values",
        ),
        (
            {"predicted": "words"},
            Request((("group",),), "predicted"),
            "say which is the favourable outcome with --favourable",
        ),
        (
            {"predicted": "words"},
            Request((("group",),), "predicted", favourable="maybe"),
            "has no value 'maybe'; its values are 'approve', 'deny'",
        ),
        (
            {"group": "ids"},
            Request((("group",),), "predicted"),
            "group column 'group' has 1,500 distinct values; at most 1,000",
        ),
        ({"current": "empty"}, Request((("group",),), "predicted"), "current data has no rows"),
        (
            {"current": "unpredicted"},
            Request((("group",),), "score"),
            "The prediction column 'score' has no values in the current data",
        ),
        (
            {},
            Request((("group",),), "score", favourable="1"),
            "is a score between 0 and 1",
        ),
    ],
)
def test_bad_input_is_refused_with_the_column_named(
    change: dict[str, str], request_: Request, expected: str
) -> None:
    reference, current = windows(1500, 3, seed=20)
    for frame in (reference, current):
        if change.get("predicted") == "multi":
            frame["predicted"] = np.arange(len(frame)) % 3
        if change.get("predicted") == "words":
            frame["predicted"] = np.where(frame.predicted == 1, "approve", "deny")
        if change.get("group") == "ids":
            frame["group"] = [f"user-{i}" for i in range(len(frame))]
    if change.get("current") == "empty":
        current = current.iloc[0:0]
    if change.get("current") == "unpredicted":
        current = current.assign(score=np.nan)
    with pytest.raises(FairnessInputError, match=expected.replace("(", r"\(")):
        analyse(reference, current, request_)


def test_masking_hides_the_group_names_everywhere() -> None:
    reference, current = windows(5000, 3, seed=21, shifted=2)
    facts = analyse(reference, current, Request((("group",), ("band",)), "predicted", "label"))
    masked = mask(facts, ["Group"])
    printed = json.dumps(masked) + report(masked)
    assert not any(name in printed for name in ("g00", "g01", "g02"))
    assert set(masked["groups"]) == {"#1", "#2", "#3"}
    assert "18-30" in printed  # a column not listed keeps its names
    assert masked["verdict"].startswith("Selection rate for group #")
    assert masked["current"] == facts["current"]  # the figures themselves are unchanged


def test_command_line_prints_fairlearns_names(tmp_path: Any) -> None:
    reference, current = windows(3000, 3, seed=22, shifted=1)
    reference.to_csv(tmp_path / "ref.csv", index=False)
    current.to_parquet(tmp_path / "cur.parquet")
    env = {"INCIDENTBOT_DATA_DIR": str(tmp_path)}
    args = ["fairness", "ref.csv", "cur.parquet", "--group", "group", "--prediction", "predicted"]
    answer = run_cli(*args, "--label", "label", "--min-group-size", "1", "--json", **env)
    assert answer.returncode == 0, answer.stderr
    printed = json.loads(answer.stdout)
    for key in ("count", "selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"):
        assert key in printed["groups"]["g01"]["current"]
    for key in ACROSS:
        assert key in printed["reference"] and key in printed["current"]
    assert_agrees(printed, "current", current)
    text = run_cli(*args, **env)
    assert text.returncode == 0
    assert text.stdout.startswith("Fairness of predicted (favourable: 1)")
    assert "Selection rate for group g01 fell" in text.stdout
    refused = run_cli(*args[:3], "--group", "region", "--prediction", "predicted", **env)
    assert refused.returncode == 2
    assert "The group column 'region' is not in the reference data" in refused.stderr
    assert refused.stdout == ""


def test_the_analysis_runs_without_scikit_learn_or_fairlearn() -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from bot.diagnosis.fairness import Request, analyse\n"
        "from tests.diagnosis.fairness_data import windows\n"
        "r, c = windows(2000, 3, seed=1)\n"
        "analyse(r, c, Request((('group',),), 'score', 'label'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'fairlearn')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_the_findings_count_in_words_that_agree() -> None:
    from bot.sandbox.reading import readable
    from bot.slack.blocks.fairness_findings import group_line, result_blocks

    reference, current = windows(3000, 13, seed=5)
    request = Request((("group",), ("band",), ("group", "band")), "predicted", None)
    facts = mask(analyse(reference, current, request), ["group", "band"])
    facts["breakdowns"] = facts["breakdowns"] * 2  # six: four shown
    said = readable([b.to_dict() for b in result_blocks(facts, "a.csv", "b.csv", None)])
    assert "… 1 more group, each moving less." in said
    assert "(sensitive columns): the figures are the same" in said
    assert "2 more breakdowns not shown." in said
    one = {"reference": {"count": 1, "selection_rate": 1.0}, "current": None}
    assert group_line("g99", one, False).endswith("only in the reference data (1 row)")
    small = {"reference": {"count": 40, "too_small": True}, "current": {"count": 1}}
    assert group_line("g98", small, False).endswith("too few rows to judge (40 → 1 row)")
    assert "… and 1 more group (the JSON output" in report(facts, groups_shown=12)
