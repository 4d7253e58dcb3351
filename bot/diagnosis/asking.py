"""What a fairness analysis is asked, and what its quality figures are called: read at
parse time and by views, before any data, so no pandas here (the Slack command is checked
with it before its acknowledgement)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIN_GROUP_SIZE = 30  # rows a group needs in a window to be judged there
# The model-quality figures, by their keys in the findings, and how people read them.
QUALITY_LABELS = (
    ("accuracy", "accuracy"),
    ("precision", "precision"),
    ("recall", "recall"),
    ("f1", "F1"),
    ("roc_auc", "ROC AUC"),
    ("expected_calibration_error", "calibration error"),
)


class FairnessInputError(ValueError):
    """The tables or the request cannot be analysed; the message names the column and
    says what was expected."""


@dataclass(frozen=True)
class Request:
    groups: tuple[tuple[str, ...], ...]  # each --group: one column, or an intersection
    prediction: str
    label: str | None = None
    favourable: str | None = None
    threshold: float = 0.5  # a score's decision: score >= threshold
    min_group_size: int = MIN_GROUP_SIZE


def parse_groups(texts: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """``--group sex --group sex,age_band`` as column tuples (blank names refused)."""
    parsed = []
    for text in texts:
        columns = tuple(c.strip() for c in text.split(","))
        if not all(columns):
            raise FairnessInputError(
                f"--group {text[:60]!r} has an empty column name; join columns with commas, "
                "e.g. --group sex,age_band."
            )
        parsed.append(columns)
    return tuple(parsed)
