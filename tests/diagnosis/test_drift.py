"""Drift verdicts on data with drift put in on purpose, and agreement with Evidently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bot.diagnosis.columns import ColumnKind, kind_of
from bot.diagnosis.drift import DriftInputError, analyse
from bot.diagnosis.stattests import Method
from bot.slack.blocks.drift_findings import psi_reading
from tests.diagnosis.data import DRIFTED, NULLED, STABLE, table

# The tests held to Evidently share one worker: importing it takes seconds of CPU, and
# at module level every worker paid for it while collecting.
with_evidently = pytest.mark.xdist_group("evidently")


def evidently(
    reference: pd.DataFrame, current: pd.DataFrame
) -> tuple[int, dict[str, tuple[Method, float]]]:
    from tests.diagnosis.evidently_run import evidently as run_preset

    return run_preset(reference, current)


@pytest.mark.parametrize(
    ("rows", "numerical", "categorical"),
    [(600, Method.KS, Method.CHI_SQUARED), (20_000, Method.WASSERSTEIN, Method.JENSEN_SHANNON)],
    ids=["small-sample", "large-sample"],
)
def test_drift_put_in_on_purpose_is_found_and_nothing_else(
    rows: int, numerical: Method, categorical: Method
) -> None:
    # Seeded: a p-value test at 0.05 flags about one stable column in twenty by chance.
    reference, current = table(rows, shifted=False, seed=13), table(rows, shifted=True, seed=14)
    report = analyse(reference, current, prediction="score")
    verdicts = {c.column: c.drifted for c in report.columns}
    assert {c for c, drifted in verdicts.items() if drifted} == set(DRIFTED)
    assert set(STABLE) <= {c for c, drifted in verdicts.items() if not drifted}
    assert report.verdict() == "4 of 10 columns drifted — data set drift: no"
    assert [c.column for c in report.columns[:4]] and all(c.drifted for c in report.columns[:4])
    methods = {c.column: c.outcome.method for c in report.columns if c.outcome}
    assert methods["amount"] is numerical and methods["country"] is categorical
    assert methods["is_new"] is (Method.Z if rows <= 1000 else Method.JENSEN_SHANNON)
    assert methods["few_levels"] is (Method.CHI_SQUARED if rows <= 1000 else Method.JENSEN_SHANNON)
    assert [c.column for c in report.missing_jumps] == [NULLED]
    assert report.prediction is not None and report.prediction.drifted


@with_evidently
@pytest.mark.parametrize("rows", [400, 1000, 1001, 30_000])
def test_the_same_verdicts_methods_and_scores_as_evidently(rows: int) -> None:
    reference, current = (
        table(rows, shifted=False, seed=rows),
        table(rows, shifted=True, seed=rows + 1),
    )
    ours = analyse(reference, current)
    count, theirs = evidently(reference, current)
    assert len(ours.drifted) == count
    assert {c.column: c.outcome.method for c in ours.columns if c.outcome} == {
        column: method for column, (method, _) in theirs.items()
    }
    for column in ours.columns:
        assert column.outcome is not None
        assert column.outcome.score == pytest.approx(theirs[column.column][1], rel=1e-6, abs=1e-12)
        assert column.drifted == column.outcome.method.drifted(theirs[column.column][1])


@with_evidently
def test_half_the_features_drifting_is_data_set_drift() -> None:
    reference, current = table(3000, shifted=False, seed=3), table(3000, shifted=True, seed=4)
    keep = [*DRIFTED, "age", "channel", "code", "tenure"]
    report = analyse(reference[keep], current[keep])
    assert report.verdict() == "4 of 8 columns drifted — data set drift: yes"
    count, _ = evidently(reference[keep], current[keep])
    assert count == 4


def test_on_large_samples_a_difference_nobody_cares_about_is_not_drift() -> None:
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.normal(0.0, 1.0, 200_000)})
    current = pd.DataFrame({"x": rng.normal(0.03, 1.0, 200_000)})  # KS p-value: tiny
    report = analyse(reference, current)
    (column,) = report.columns
    assert column.outcome is not None and column.outcome.method is Method.WASSERSTEIN
    assert not column.drifted and psi_reading(column.outcome.psi) == "stable"


def test_psi_readings_and_the_usual_bands() -> None:
    rng = np.random.default_rng(6)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 50_000)})
    shifted = analyse(reference, pd.DataFrame({"x": rng.normal(1.0, 1, 50_000)})).columns[0]
    assert shifted.outcome is not None and shifted.outcome.psi > 0.25
    assert psi_reading(shifted.outcome.psi) == "major shift"
    assert [psi_reading(v) for v in (0.05, 0.1, 0.2, 0.25, 0.3)] == [
        "stable",
        "moderate shift",
        "moderate shift",
        "moderate shift",
        "major shift",
    ]


def test_column_kinds_follow_evidently() -> None:
    assert kind_of(pd.Series([1.5, 2.0])) is ColumnKind.NUMERICAL
    assert kind_of(pd.Series(range(11))) is ColumnKind.NUMERICAL
    assert kind_of(pd.Series([1, 2, 3] * 4)) is ColumnKind.CATEGORICAL
    assert kind_of(pd.Series(["a", "b"] * 5)) is ColumnKind.CATEGORICAL
    assert kind_of(pd.Series([f"note {i}" for i in range(10)])) is ColumnKind.TEXT
    assert kind_of(pd.Series([True, False])) is ColumnKind.CATEGORICAL
    assert kind_of(pd.Series(pd.to_datetime(["2026-01-01"]))) is ColumnKind.OTHER


def test_text_and_empty_columns_are_listed_as_not_tested() -> None:
    reference = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 10, "note": [f"r{i}" for i in range(30)]})
    current = reference.assign(x=np.nan)
    report = analyse(reference, current)
    assert report.columns == []
    reasons = {c.column: c.not_tested for c in report.not_tested}
    assert reasons == {"x": "no values in the current data", "note": "mostly distinct text"}
    assert [c.column for c in report.missing_jumps] == ["x"]


@pytest.mark.parametrize(
    ("reference", "current", "kwargs", "said"),
    [
        ({"a": [1.0]}, {"b": [1.0]}, {}, "no column in common"),
        ({"a": [1.0]}, {"a": []}, {}, "The current table has no rows"),
        ({"a": [1.0], "p": [1]}, {"a": [1.0], "p": [1]}, {"prediction": "q"}, "'q' is not in both"),
        ({"a": [1.0]}, {"a": [1.0]}, {"skip": ["z"]}, "No column called 'z' to skip"),
        ({"a": [1.0]}, {"a": [1.0]}, {"skip": ["a"]}, "besides the ones named"),
    ],
)
def test_tables_that_cannot_be_compared(
    reference: dict[str, list[float]],
    current: dict[str, list[float]],
    kwargs: dict[str, object],
    said: str,
) -> None:
    with pytest.raises(DriftInputError, match=said):
        analyse(pd.DataFrame(reference), pd.DataFrame(current), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n", "m"),
    [(1, 1), (2, 7), (7, 2), (1000, 1000), (1000, 999), (3000, 1234), (5000, 20000), (997, 1009)],
)
def test_wasserstein_and_bin_edges_equal_scipys_and_numpys_without_joining_the_samples(
    n: int, m: int
) -> None:
    from scipy.stats import wasserstein_distance

    from bot.diagnosis.stattests import sturges_edges, wasserstein

    rng = np.random.default_rng(n * 7919 + m)
    for ref, cur in (
        (rng.normal(0, 1, n), rng.normal(0.4, 1.5, m)),
        (rng.integers(0, 4, n).astype(float), rng.integers(1, 6, m).astype(float)),  # ties
    ):
        ref.sort()
        cur.sort()
        assert wasserstein(ref, cur) == pytest.approx(wasserstein_distance(ref, cur), rel=1e-12)
        joined = np.concatenate([ref, cur])
        edges = sturges_edges(joined.min(), joined.max(), len(joined))
        assert np.array_equal(edges, np.histogram_bin_edges(joined, bins="sturges"))


def test_the_findings_count_in_words_that_agree() -> None:
    from dataclasses import replace

    from bot.sandbox.reading import readable
    from bot.slack.blocks.drift_findings import result_blocks

    report = analyse(table(600, shifted=False, seed=13), table(600, shifted=True, seed=14))
    drifted = [c for c in report.columns if c.drifted]
    stable = [c for c in report.columns if not c.drifted]
    many = replace(report, columns=(drifted * 11)[:42] + stable[:3], only_in_one=["extra"])

    def said(r: object) -> str:
        return readable([b.to_dict() for b in result_blocks(r, "a.csv", "b.csv", None)])  # type: ignore[arg-type]

    text = said(many)
    assert "42 of 45 columns drifted" in text and "features" not in text
    # The hidden ones may have drifted too: the note says so instead of calling them stable.
    assert "5 more columns not listed (2 of them drifted)." in text
    assert "1 column is in only one of the tables." in text
    one = replace(report, columns=drifted[:1], only_in_one=["x", "y"])
    assert "1 of 1 column drifted" in said(one) and "2 columns are in only one" in said(one)
    assert "(the data set counts as drifted when at least 50% have: *yes*)" in text
    assert "normed Wasserstein or Jensen-Shannon with more)." in text
    computed = result_blocks(report, "a.csv", "b.csv", None, how="exact: every value read")
    assert "How it was computed: exact: every value read." in readable(
        [b.to_dict() for b in computed]
    )
