"""Our fairness analysis against Fairlearn's MetricFrame on the same large windows.

Builds a reference and a current window of ``--rows`` rows (1,000,000 by default) in
``--groups`` groups (8) with binary predictions and labels, then, in this process:

- times ``bot.diagnosis.fairness.analyse`` (both windows, every figure; best of
  ``--repeat``) and Fairlearn on the same windows (a MetricFrame of count, selection
  rate, true and false positive rates and accuracy per window, plus the four disparity
  functions; once, as it takes about a minute), and MetricFrame alone;
- checks that every figure is identical to 1e-9;
- measures the peak resident memory each side adds, each in a fresh process on the same
  windows (the kernel's high-water mark, reset once the windows are built).

    python -m tests.benchmarks.fairness_vs_fairlearn [--rows 1000000] [--groups 8] [--repeat 3]

The goal: at least 5 times faster than Fairlearn and under 1 s, with identical figures.
"""

from __future__ import annotations

import argparse
import gc
import time
import warnings
from collections.abc import Callable
from typing import Any

from bot.diagnosis.fairness import Request, analyse
from tests.benchmarks.common import added_peak
from tests.diagnosis.fairness_data import fairlearn_figures, fairlearn_metrics, windows

KEYS = ("count", "selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")


def ours(reference: Any, current: Any) -> dict[str, Any]:
    request = Request((("group",),), "predicted", "label", min_group_size=1)
    return analyse(reference, current, request)


def their_frames(reference: Any, current: Any) -> list[Any]:
    """MetricFrame alone: the per-group figures, without the disparity functions."""
    from fairlearn.metrics import MetricFrame

    metrics = fairlearn_metrics()
    return [
        MetricFrame(
            metrics=metrics,
            y_true=frame["label"],
            y_pred=frame["predicted"],
            sensitive_features=frame["group"],
        ).by_group
        for frame in (reference, current)
    ]


def theirs(reference: Any, current: Any) -> dict[str, Any]:
    return {
        window: fairlearn_figures(
            frame, group="group", predicted=frame["predicted"], label=frame["label"]
        )
        for window, frame in (("reference", reference), ("current", current))
    }


def best(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    return min(times), result


def peak(side: str, rows: int, groups: int) -> int:
    """Peak resident memory one side adds while it runs, in a fresh process that builds the
    same windows first."""
    return added_peak(
        setup=(
            "from tests.benchmarks import fairness_vs_fairlearn as b\n"
            "from tests.diagnosis.fairness_data import windows\n"
            "import fairlearn.metrics, sklearn.metrics\n"  # imports are not the run's memory
            f"r, c = windows({rows}, {groups}, seed=5, shifted=2)\n"
        ),
        run=f"b.{side}(r, c)",
    )


def differences(mine: dict[str, Any], fairlearn: dict[str, Any]) -> list[str]:
    wrong = []
    for window, figures in fairlearn.items():
        for name, row in figures["groups"].items():
            for key in KEYS:
                if abs(mine["groups"][name][window][key] - row[key]) > 1e-9:
                    wrong.append(f"{window} {name} {key}")
        for key, value in figures.items():
            if key != "groups" and abs(mine[window][key] - value) > 1e-9:
                wrong.append(f"{window} {key}")
    return wrong


def run(rows: int, groups: int, repeat: int) -> None:
    reference, current = windows(rows, groups, seed=5, shifted=2)
    print(f"windows: {rows:,} rows each, {groups} groups, predictions and labels")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        our_time, mine = best(lambda: ours(reference, current), repeat)
        # Fairlearn takes a minute a run: once each is enough to compare.
        their_time, fairlearn = best(lambda: theirs(reference, current), 1)
        frame_time, _ = best(lambda: their_frames(reference, current), 1)
    our_peak = peak("ours", rows, groups)
    their_peak = peak("theirs", rows, groups)
    wrong = differences(mine, fairlearn)
    print(f"ours:      {our_time:8.3f} s   peak {our_peak / 2**20:8.1f} MiB (resident)")
    print(f"Fairlearn: {their_time:8.3f} s   peak {their_peak / 2**20:8.1f} MiB (resident)")
    print(f"  of which MetricFrame (per-group figures only): {frame_time:.3f} s")
    print(
        f"speed-up:  {their_time / our_time:8.1f}x   memory: {our_peak / their_peak:.2f} of theirs"
    )
    print(f"against MetricFrame alone: {frame_time / our_time:.1f}x")
    print(f"figures:   {'identical to 1e-9' if not wrong else 'DIFFERENT: ' + ', '.join(wrong)}")
    print(f"verdict:   {mine['verdict']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run(args.rows, args.groups, args.repeat)


if __name__ == "__main__":
    main()
