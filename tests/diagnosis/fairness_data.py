"""Data sets for the fairness analysis: groups whose selection rate and error rates move
on purpose between a reference and a current window, and Fairlearn's own figures for
them (Fairlearn is a test-only dependency: the comparison, never the implementation)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

FAIRLEARN_RATES = ("count", "selection_rate", "true_positive_rate", "false_positive_rate")


def windows(
    rows: int, groups: int, *, seed: int, shifted: int | None = 1, labels: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference and a current table; in the current one, group ``shifted`` is selected
    half as often (its positives too), the other groups as before."""
    return (
        table(rows, groups, seed=seed, shifted=None, labels=labels),
        table(rows, groups, seed=seed + 1, shifted=shifted, labels=labels),
    )


def table(
    rows: int, groups: int, *, seed: int, shifted: int | None, labels: bool = True
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, rows)
    label = rng.random(rows) < 0.4 + 0.1 * (group % 2)
    chance = np.where(label, 0.75, 0.2) + 0.01 * (group % 5)
    if shifted is not None:
        chance = np.where(group == shifted, chance * 0.5, chance)
    frame = pd.DataFrame(
        {
            "group": np.array([f"g{i:02d}" for i in range(groups)])[group],
            "band": rng.choice(["18-30", "31-50", "51+"], rows),
            "predicted": (rng.random(rows) < chance).astype(np.int64),
            "score": np.clip(chance + rng.normal(0, 0.15, rows), 0, 1),
        }
    )
    if labels:
        frame["label"] = label.astype(np.int64)
    return frame


def fairlearn_metrics() -> dict[str, Any]:
    """The per-group metrics a MetricFrame is asked for, by the names our output uses."""
    from fairlearn.metrics import count, false_positive_rate, selection_rate, true_positive_rate
    from sklearn.metrics import accuracy_score

    return {
        "count": count,
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "accuracy": accuracy_score,
    }


def fairlearn_figures(
    frame: pd.DataFrame, *, group: str | list[str], predicted: Any, label: Any
) -> dict[str, Any]:
    """Fairlearn's figures for one window: per group (MetricFrame) and across groups."""
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
        equalized_odds_ratio,
    )

    features = frame[group]
    metrics = fairlearn_metrics()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame_ = MetricFrame(
            metrics=metrics, y_true=label, y_pred=predicted, sensitive_features=features
        )
        across = {
            name: function(label, predicted, sensitive_features=features)
            for name, function in (
                ("demographic_parity_difference", demographic_parity_difference),
                ("demographic_parity_ratio", demographic_parity_ratio),
                ("equalized_odds_difference", equalized_odds_difference),
                ("equalized_odds_ratio", equalized_odds_ratio),
            )
        }
    by_group = {
        (", ".join(map(str, key)) if isinstance(key, tuple) else str(key)): dict(row)
        for key, row in frame_.by_group.iterrows()
    }
    return {"groups": by_group, **across}
