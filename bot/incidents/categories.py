"""How ML systems fail (PRODUCT.md), as choices for a declaration."""

from __future__ import annotations

FAILURE_CATEGORIES: dict[str, str] = {
    "data-drift": "Data drift",
    "concept-drift": "Concept drift",
    "feature-pipeline": "Feature-pipeline failure",
    "training-serving-skew": "Training–serving skew",
    "adversarial-input": "Adversarial input",
    "feedback-loop": "Feedback loop",
    "retraining-regression": "Regression after retraining",
    "hallucination": "Hallucination",
    "harmful-output": "Harmful output",
    "bias-fairness": "Bias or fairness violation",
    "data-leak": "Data leak (memorisation, prompt injection)",
    "out-of-scope-use": "Out-of-scope use",
    "complete-failure": "Complete model failure",
    "cost-anomaly": "Cost anomaly",
    "infrastructure": "Infrastructure",
}


# Failures usually run in private (legal exposure, customer data): the declare form
# proposes a private incident for these.
USUALLY_PRIVATE = frozenset({"data-leak", "harmful-output", "bias-fairness"})


def category_label(key: str | None) -> str | None:
    return FAILURE_CATEGORIES.get(key) if key else None
