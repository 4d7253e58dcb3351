"""Evidently's DataDriftPreset, run as a user would run it, for the tests and the benchmark
that hold our verdicts to it."""

from __future__ import annotations

import pandas as pd
from evidently import Dataset, Report
from evidently.presets import DataDriftPreset

from bot.diagnosis.stattests import Method

EVIDENTLY_METHODS = {
    "K-S p_value": Method.KS,
    "chi-square p_value": Method.CHI_SQUARED,
    "Z-test p_value": Method.Z,
    "Wasserstein distance (normed)": Method.WASSERSTEIN,
    "Jensen-Shannon distance": Method.JENSEN_SHANNON,
}


def evidently(
    reference: pd.DataFrame, current: pd.DataFrame
) -> tuple[int, dict[str, tuple[Method, float]]]:
    """Evidently's DataDriftPreset, run as a user would: (drifted count, method and score
    per column)."""
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current), Dataset.from_pandas(reference)
    )
    count, columns = -1, {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("DriftedColumnsCount"):
            count = int(metric["value"]["count"])
        elif config["type"].endswith("ValueDrift"):
            columns[config["column"]] = (
                EVIDENTLY_METHODS[config["method"]],
                float(metric["value"]),
            )
    return count, columns
