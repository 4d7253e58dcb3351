"""Triage built for ML failures: the questions, and what their answers point to.

Pure functions: given the answers so far, say what they suggest (hints that
appear as answers come in) and, once every question is answered, propose a
severity, the next step and a first hypothesis of where the cause lies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.incidents.severity import Severity

YES_NO_UNKNOWN = (("yes", "Yes"), ("no", "No"), ("unknown", "Don't know"))


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: tuple[tuple[str, str], ...] = YES_NO_UNKNOWN
    # What the note form asks. Every question has a note: an answer is often "yes, but..."
    note_prompt: str = "Anything to add to this answer?"
    # Labels said of a resolved incident, where an option's own label speaks of "now".
    past: tuple[tuple[str, str], ...] = ()


QUESTIONS: tuple[Question, ...] = (
    Question(
        "alert", "Did a monitoring alert fire?", note_prompt="Which alert, and when did it fire?"
    ),
    Question(
        "serving",
        "Is the model serving predictions at all?",
        note_prompt="What do callers get (errors, timeouts, a fallback, empty answers)?",
    ),
    Question(
        "in_range",
        "Are its predictions in their usual range?",
        note_prompt="What do you see (e.g. approval rate 12% instead of 61%)?",
    ),
    Question(
        "input_changed",
        "Has the input data changed (distributions, schema, volume)?",
        note_prompt="What changed, and since when?",
    ),
    Question(
        "model_changed",
        "Was the model or its configuration changed recently "
        "(deploy, retraining, threshold, feature flag)?",
        note_prompt="What changed, and when?",
    ),
    Question(
        "upstream_healthy",
        "Are the upstream data sources and pipelines healthy?",
        note_prompt="Which source or pipeline?",
    ),
    Question(
        "impact",
        "What is the business impact right now?",
        options=(
            ("harm", "Significant harm now"),
            ("operations", "Operations affected"),
            ("tolerable", "Noticeable, within tolerance"),
            ("none", "Early signs only"),
            ("unknown", "Not known yet"),
        ),
        note_prompt="In business terms: customers, money, decisions affected.",
        past=(("harm", "Significant harm"), ("unknown", "Not known")),
    ),
    Question(
        "trend",
        "Is it getting worse, stable or better?",
        options=(
            ("worse", "Worse"),
            ("stable", "Stable"),
            ("better", "Better"),
            ("unknown", "Don't know"),
        ),
        note_prompt="What shows it (a metric, a dashboard, a count of complaints)?",
    ),
)
BY_KEY = {q.key: q for q in QUESTIONS}


def answer_label(question: str, answer: str, *, resolved: bool = False) -> str:
    """The answer's label; ``resolved``: as said once the incident is over."""
    asked = BY_KEY[question]
    past = dict(asked.past).get(answer) if resolved else None
    return past or dict(asked.options).get(answer, answer)


class NextStep(StrEnum):
    WATCH = "watch"
    INVESTIGATE = "investigate"
    EMERGENCY = "emergency response"


class Cause(StrEnum):
    MODEL = "model"
    DATA = "data"
    INFRASTRUCTURE = "infrastructure"
    PIPELINE = "pipeline"
    UNCLEAR = "not clear yet"


class Runbook(StrEnum):
    MODEL_DEGRADATION = "model-degradation"
    DATA_PIPELINE_FAILURE = "data-pipeline-failure"
    EMERGENCY_ROLLBACK = "emergency-rollback"
    EMERGENCY_RETRAINING = "emergency-retraining"


@dataclass(frozen=True)
class Hint:
    text: str
    runbook: Runbook | None = None


@dataclass(frozen=True)
class Proposal:
    severity: Severity
    next_step: NextStep
    cause: Cause
    category: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Assessment:
    hints: tuple[Hint, ...]
    unanswered: tuple[str, ...]
    proposal: Proposal | None = None
    runbooks: tuple[Runbook, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not self.unanswered


def hints_for(a: Mapping[str, str]) -> list[Hint]:
    """What the answers so far suggest, most urgent first."""
    hints = []
    if a.get("serving") == "no":
        hints.append(
            Hint(
                "The model is not serving: take the complete-failure path. Fall back to a safe "
                "default or a rules-based system first, then restore serving.",
                Runbook.EMERGENCY_ROLLBACK,
            )
        )
    if a.get("model_changed") == "yes":
        hints.append(
            Hint(
                "The model or its configuration changed recently: the ML Lead should confirm "
                "which version serves and that the previous one can be rolled back to.",
                Runbook.EMERGENCY_ROLLBACK,
            )
        )
    if a.get("upstream_healthy") == "no":
        hints.append(
            Hint(
                "An upstream source or pipeline is unhealthy: a feature-pipeline failure is the "
                "first suspect. The Data Lead should isolate that source.",
                Runbook.DATA_PIPELINE_FAILURE,
            )
        )
    if a.get("input_changed") == "yes" and a.get("model_changed") == "no":
        hints.append(
            Hint(
                "The inputs changed while the model did not: this points to data drift or a "
                "pipeline failure. Data Lead: follow the data pipeline runbook, and compare "
                "the data with `/incident drift <reference> <current>`.",
                Runbook.DATA_PIPELINE_FAILURE,
            )
        )
    if (
        a.get("in_range") == "no"
        and a.get("input_changed") == "no"
        and a.get("model_changed") == "no"
    ):
        hints.append(
            Hint(
                "Predictions moved although neither the inputs nor the model did: suspect concept "
                "drift (the world changed). Plan retraining on recent data.",
                Runbook.MODEL_DEGRADATION,
            )
        )
    if a.get("trend") == "worse":
        hints.append(
            Hint(
                "It is getting worse: contain it now (move the threshold, route decisions to human "
                "review, or fall back) rather than waiting for the root cause."
            )
        )
    return hints


_IMPACT_SEVERITY = {
    "harm": Severity.SEV1,
    "operations": Severity.SEV2,
    "tolerable": Severity.SEV3,
    "none": Severity.SEV4,
}


def _raise(severity: Severity, to: Severity) -> Severity:
    return min(severity, to)  # "sev1" < "sev2": lower is more severe


def propose(a: Mapping[str, str], declared: Severity) -> Proposal:
    reasons = []
    severity = _IMPACT_SEVERITY.get(a.get("impact", ""), declared)
    reasons.append(
        # read after "Why: ", so no colon of their own
        f"the business impact is {answer_label('impact', a['impact']).lower()}"
        if a.get("impact") in _IMPACT_SEVERITY
        else f"the impact is not known, so it stays {declared.label}"
    )
    if a.get("serving") == "no" and severity > Severity.SEV2:
        severity = _raise(severity, Severity.SEV2)
        reasons.append("the model is not serving")
    # A worsening trend raises a tolerable degradation one level; SEV1 stays reserved
    # for harm happening now, which is the impact answer's to say.
    if a.get("trend") == "worse" and severity in (Severity.SEV3, Severity.SEV4):
        severity = Severity.SEV2 if severity is Severity.SEV3 else Severity.SEV3
        reasons.append("it is getting worse")

    if severity is Severity.SEV1 or a.get("serving") == "no":
        step = NextStep.EMERGENCY
    elif severity is Severity.SEV4 or (severity is Severity.SEV3 and a.get("trend") == "better"):
        step = NextStep.WATCH
    else:
        step = NextStep.INVESTIGATE

    cause, category = _cause(a)
    return Proposal(severity, step, cause, category, tuple(reasons))


def _cause(a: Mapping[str, str]) -> tuple[Cause, str | None]:
    if a.get("serving") == "no":
        if a.get("model_changed") == "yes":
            return Cause.MODEL, "complete-failure"
        return Cause.INFRASTRUCTURE, "complete-failure"
    if a.get("upstream_healthy") == "no":
        return Cause.PIPELINE, "feature-pipeline"
    if a.get("model_changed") == "yes":
        return Cause.MODEL, "retraining-regression"
    if a.get("input_changed") == "yes":
        return Cause.DATA, "data-drift"
    if a.get("in_range") == "no" and a.get("input_changed") == "no":
        return Cause.DATA, "concept-drift"
    return Cause.UNCLEAR, None


def assess(answers: Mapping[str, str], declared: Severity) -> Assessment:
    hints = tuple(hints_for(answers))
    unanswered = tuple(q.key for q in QUESTIONS if q.key not in answers)
    runbooks = tuple(dict.fromkeys(h.runbook for h in hints if h.runbook))
    proposal = None if unanswered else propose(answers, declared)
    if proposal and proposal.category == "concept-drift":
        runbooks += (Runbook.EMERGENCY_RETRAINING,)
    if proposal and not runbooks and proposal.next_step is not NextStep.WATCH:
        runbooks = (Runbook.MODEL_DEGRADATION,)
    return Assessment(hints, unanswered, proposal, runbooks)
