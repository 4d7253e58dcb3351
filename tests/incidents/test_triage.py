"""What triage answers point to: hints as they come, and the proposal when complete."""

from bot.incidents.severity import Severity
from bot.incidents.triage_questions import QUESTIONS, Cause, NextStep, Runbook, assess

CALM = {
    "alert": "yes",
    "serving": "yes",
    "in_range": "yes",
    "input_changed": "no",
    "model_changed": "no",
    "upstream_healthy": "yes",
    "impact": "tolerable",
    "trend": "stable",
}


def with_(**changes: str) -> dict[str, str]:
    return {**CALM, **changes}


def test_the_eight_questions_of_the_product() -> None:
    assert [q.key for q in QUESTIONS] == [
        "alert",
        "serving",
        "in_range",
        "input_changed",
        "model_changed",
        "upstream_healthy",
        "impact",
        "trend",
    ]


def test_changed_inputs_with_an_unchanged_model_point_at_data() -> None:
    partial = {"input_changed": "yes", "model_changed": "no"}
    result = assess(partial, Severity.SEV3)
    assert not result.complete and result.proposal is None
    assert "data drift or a pipeline failure" in result.hints[0].text
    assert "/incident drift" in result.hints[0].text
    assert result.runbooks == (Runbook.DATA_PIPELINE_FAILURE,)
    proposal = assess(with_(input_changed="yes"), Severity.SEV3).proposal
    assert proposal is not None
    assert (proposal.cause, proposal.category) == (Cause.DATA, "data-drift")


def test_a_model_change_points_at_rollback_readiness() -> None:
    result = assess({"model_changed": "yes"}, Severity.SEV2)
    assert "rolled back" in result.hints[0].text
    assert result.runbooks == (Runbook.EMERGENCY_ROLLBACK,)
    proposal = assess(with_(model_changed="yes"), Severity.SEV2).proposal
    assert proposal is not None
    assert (proposal.cause, proposal.category) == (Cause.MODEL, "retraining-regression")


def test_not_serving_is_the_complete_failure_path() -> None:
    proposal = assess(with_(serving="no", impact="none"), Severity.SEV4).proposal
    assert proposal is not None
    assert proposal.severity is Severity.SEV2  # raised: a model down is never "early signs"
    assert proposal.next_step is NextStep.EMERGENCY
    assert (proposal.cause, proposal.category) == (Cause.INFRASTRUCTURE, "complete-failure")
    assert "the model is not serving" in proposal.reasons


def test_impact_sets_the_severity_and_a_worsening_trend_raises_a_tolerable_one() -> None:
    def severity(**answers: str) -> Severity:
        proposal = assess(with_(**answers), Severity.SEV3).proposal
        assert proposal is not None
        return proposal.severity

    assert severity(impact="harm") is Severity.SEV1
    assert severity(impact="operations") is Severity.SEV2
    assert severity(impact="operations", trend="worse") is Severity.SEV2  # SEV1 means harm now
    assert severity(impact="tolerable", trend="worse") is Severity.SEV2
    assert severity(impact="none") is Severity.SEV4
    assert severity(impact="unknown") is Severity.SEV3  # keeps the declared one


def test_next_steps() -> None:
    def step(**answers: str) -> NextStep:
        proposal = assess(with_(**answers), Severity.SEV3).proposal
        assert proposal is not None
        return proposal.next_step

    assert step(impact="harm") is NextStep.EMERGENCY
    assert step(impact="operations") is NextStep.INVESTIGATE
    assert step(impact="tolerable", trend="better") is NextStep.WATCH
    assert step(impact="none") is NextStep.WATCH


def test_predictions_moving_with_nothing_changed_suggest_concept_drift() -> None:
    result = assess(with_(in_range="no"), Severity.SEV3)
    assert result.proposal is not None
    assert (result.proposal.cause, result.proposal.category) == (Cause.DATA, "concept-drift")
    assert result.runbooks == (Runbook.MODEL_DEGRADATION, Runbook.EMERGENCY_RETRAINING)


def test_an_unhealthy_upstream_is_a_pipeline_failure() -> None:
    result = assess(with_(upstream_healthy="no", input_changed="yes"), Severity.SEV3)
    assert result.proposal is not None
    assert (result.proposal.cause, result.proposal.category) == (Cause.PIPELINE, "feature-pipeline")
    assert result.runbooks == (Runbook.DATA_PIPELINE_FAILURE,)
