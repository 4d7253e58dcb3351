"""The scenario library and how a drill scores, without Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from bot.drills import report, scenarios
from bot.drills.clock import DrillClock
from bot.store.models import TimelineEvent

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_the_library_has_the_seven_scenarios_ml_teams_meet() -> None:
    library = scenarios.library()
    assert set(library) == {
        "credit-age-bias",
        "fraud-false-positives",
        "recommender-ctr-drop",
        "credit-poisoning",
        "churn-schema-nulls",
        "chatbot-stale-index",
        "genai-copyright-bias",
    }
    assert library["genai-copyright-bias"].private and library["credit-age-bias"].private
    assert library["credit-poisoning"].severity.value == "sev1"
    for scenario in library.values():
        assert scenario.injects and scenario.expects, scenario.name
        assert list(scenario.injects) == sorted(scenario.injects, key=lambda i: i.at)


def test_a_broken_scenario_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        'title = "x"\nseverity = "sev2"\n[[inject]]\nat = "soon"\nkind = "alert"\n'
    )
    with pytest.raises(scenarios.ScenarioError, match=r"bad\.toml inject 1: 'soon' is not a time"):
        scenarios.library(tmp_path)
    (tmp_path / "bad.toml").write_text(
        'title = "x"\nseverity = "sev2"\n[[inject]]\nkind = "data"\nfeatures = ["age"]\n'
    )
    with pytest.raises(scenarios.ScenarioError, match="'age' is not a column of the drill data"):
        scenarios.library(tmp_path)


def test_a_teams_own_folder_comes_first(tmp_path: Path) -> None:
    (tmp_path / "ours.toml").write_text(
        'name = "fraud-false-positives"\ntitle = "Our own"\nseverity = "sev2"\n'
        '[[inject]]\nkind = "message"\ntext = "hi"\n'
    )
    assert scenarios.find("fraud-false-positives", tmp_path).title == "Our own"


def test_the_data_is_the_same_every_run_and_drifts_where_planted(tmp_path: Path) -> None:
    scenario = scenarios.find("fraud-false-positives")
    data = next(i for i in scenario.injects if i.kind == "data")
    first = scenarios.write_data(scenario, data, tmp_path / "a", "inc-1-3")
    scenarios.write_data(scenario, data, tmp_path / "b", "inc-1-3")
    for name in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    reference = pd.read_csv(tmp_path / "a" / first[0])
    current = pd.read_csv(tmp_path / "a" / first[1])
    assert current["amount"].median() > 2 * reference["amount"].median()
    assert abs(current["hour"].mean() - reference["hour"].mean()) < 1


def event(kind: str, minutes: float, **data: object) -> TimelineEvent:
    return TimelineEvent(kind=kind, occurred_at=START + timedelta(minutes=minutes), data=data)


def test_moves_are_scored_against_their_targets() -> None:
    scenario = scenarios.find("fraud-false-positives")
    events = [
        event("severity_changed", 3, severity="sev1"),
        event("status_update", 20),
        event("drift_found", 9),
        *(event("role_assigned", 1, role=r) for r in ("commander", "ml-lead", "data-lead")),
    ]
    on_clock = DrillClock(START, 1.0)
    scored = {s.expect.move: s for s in report.moves(scenario, events, on_clock)}
    assert scored["severity"].met and scored["drift"].met
    assert scored["first_notice"].done_at == timedelta(minutes=20)
    assert not scored["first_notice"].met  # made, but after its 15-minute target
    assert scored["roles"].done_at is None  # three of four roles is not all four
    assert scored["containment"].done_at is None


def test_a_fairness_inject_halves_one_age_bands_approvals_and_the_analysis_says_so(
    tmp_path: Path,
) -> None:
    from bot.diagnosis.fairness import Request, analyse

    scenario = scenarios.find("credit-age-bias")
    data = next(i for i in scenario.injects if i.kind == "data")
    assert data.fairness == "51+"
    names = scenarios.write_data(scenario, data, tmp_path, "inc-1-3")
    reference, current = (pd.read_csv(tmp_path / name) for name in names)
    facts = analyse(reference, current, Request((("age_band",),), "approved", "repaid"))
    assert facts["verdict"].startswith("Selection rate for group 51+ fell from")
    assert facts["reference"]["four_fifths_rule"] == "met"
    assert facts["current"]["four_fifths_rule"] == "breached"
    named = scenarios.FAIRNESS_CHECK.split()[1::2]  # the columns the posted command names
    assert named == ["age_band", "approved", "repaid"]
    assert set(named) <= set(current.columns) and set(named) <= set(reference.columns)
    assert "approvals halved for age band 51+" in scenarios.script(scenario)


def test_a_fairness_analysis_is_the_fairness_move() -> None:
    scenario = scenarios.find("credit-age-bias")
    scored = {
        s.expect.move: s
        for s in report.moves(scenario, [event("fairness_found", 10)], DrillClock(START, 1.0))
    }
    assert scored["fairness"].met and scored["fairness"].done_at == timedelta(minutes=10)


def test_a_fairness_inject_names_an_age_band(tmp_path: Path) -> None:
    (tmp_path / "odd.toml").write_text(
        'name = "odd"\nseverity = "sev2"\n[[inject]]\nkind = "data"\nfairness = "65+"\n'
    )
    with pytest.raises(scenarios.ScenarioError, match="one of 18-30, 31-50, 51\\+"):
        scenarios.find("odd", tmp_path)


def test_an_unknown_drill_is_named_as_typed_with_the_scenarios() -> None:
    with pytest.raises(scenarios.ScenarioError) as refused:
        scenarios.find("xyz")
    said = str(refused.value)
    assert said.startswith("There is no drill `xyz`; the scenarios are: ") and "'xyz'" not in said
