"""Our drift analysis against Evidently's DataDriftPreset on the same large tables.

Builds a reference and a current table of ``--rows`` rows (1,000,000 by default)
and 20 columns: 14 floating-point features (a third of them shifted), 3 integer
codes and 3 string categories (one of each with moved shares). Then, in this
process, times ``bot.diagnosis.drift.analyse`` and Evidently's preset on the
same DataFrames, prints both and the ratio, checks that the verdicts (which
columns drifted, by which test) are identical, and prints the peak resident memory
each side adds while it analyses, each measured the same way in a fresh process
of its own (``common.added_peak``).

    python -m tests.benchmarks.drift_vs_evidently [--rows 1000000] [--workers 2] [--skip-evidently]

The goal is 60 times faster than Evidently, with identical verdicts and at most a
quarter of its memory, on the 2-core machine the project is developed on.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from bot.diagnosis.drift import DriftReport, analyse
from tests.benchmarks.common import added_peak

CATEGORIES = np.array(["web", "app", "pos", "partner", "phone"], dtype=object)


def tables(rows: int, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def build(shifted: bool) -> pd.DataFrame:
        columns: dict[str, object] = {}
        for i in range(14):
            moved = shifted and i % 3 == 0
            columns[f"num_{i:02d}"] = rng.normal(0.4 if moved else 0.0, 1.0, rows)
        for i in range(3):
            moved = shifted and i == 0
            shares = [0.1, 0.1, 0.2, 0.2, 0.2, 0.2] if moved else [0.2, 0.2, 0.2, 0.2, 0.1, 0.1]
            columns[f"code_{i}"] = rng.choice(6, rows, p=shares)
        for i in range(3):
            moved = shifted and i == 0
            shares = [0.4, 0.3, 0.1, 0.1, 0.1] if moved else [0.2] * 5
            columns[f"cat_{i}"] = rng.choice(CATEGORIES, rows, p=shares)
        return pd.DataFrame(columns)

    return build(False), build(True)


def ours(reference: pd.DataFrame, current: pd.DataFrame, workers: int) -> tuple[float, DriftReport]:
    began = time.perf_counter()
    report = analyse(reference, current, workers=workers)
    return time.perf_counter() - began, report


def peak(side: str, rows: int, workers: int) -> int:
    """The peak resident memory one side adds, in a fresh process that builds the tables
    (and imports that side's library) first."""
    run = f"analyse(r, c, workers={workers})" if side == "ours" else "evidently_run.evidently(r, c)"
    return added_peak(
        setup=(
            "from tests.benchmarks.drift_vs_evidently import tables\n"
            "from bot.diagnosis.drift import analyse\n"
            "from tests.diagnosis import evidently_run\n"
            "import evidently\n"
            f"r, c = tables({rows})\n"
            "analyse(r.head(1000), c.head(1000))\n"
            + ("evidently_run.evidently(r.head(1000), c.head(1000))\n" if side != "ours" else "")
        ),
        run=run,
    )


def evidently(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[float, dict[str, str]]:
    from tests.diagnosis.evidently_run import evidently as run_preset

    began = time.perf_counter()
    _, columns = run_preset(reference, current)
    seconds = time.perf_counter() - began
    verdicts = {
        column: f"{method.value}:{'drifted' if method.drifted(score) else 'stable'}"
        for column, (method, score) in columns.items()
    }
    return seconds, verdicts


def run(rows: int, workers: int, skip_evidently: bool) -> None:
    reference, current = tables(rows)
    print(f"drift analysis, {rows:,} rows x {reference.shape[1]} columns per table")
    ours(reference.head(1000), current.head(1000), workers)  # warm-up: imports, thread pool
    our_seconds, report = ours(reference, current, workers)
    print(f"ours:      {our_seconds:8.2f} s   ({workers} workers)   {report.verdict()}")
    if skip_evidently:
        print(f"ours, peak memory added: {peak('ours', rows, workers) / 2**20:,.0f} MiB")
        return
    their_seconds, theirs = evidently(reference, current)
    mine = {
        str(c.column): f"{c.outcome.method.value}:{'drifted' if c.drifted else 'stable'}"
        for c in report.columns
        if c.outcome is not None
    }
    same = mine == theirs
    print(f"Evidently: {their_seconds:8.2f} s")
    our_peak, their_peak = peak("ours", rows, workers), peak("evidently", rows, workers)
    print(
        f"peak resident memory added while analysing: ours {our_peak / 2**20:,.0f} MiB, "
        f"Evidently {their_peak / 2**20:,.0f} MiB ({our_peak / their_peak:.2f} of theirs)"
    )
    print(f"ratio: ours is {their_seconds / our_seconds:.1f}x faster (goal: 60x)")
    print(f"verdicts identical: {'yes' if same else 'NO'}")
    if not same:
        for column in sorted(set(mine) | set(theirs)):
            if mine.get(column) != theirs.get(column):
                print(f"  {column}: ours {mine.get(column)}, Evidently {theirs.get(column)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-evidently", action="store_true")
    args = parser.parse_args()
    run(args.rows, args.workers, args.skip_evidently)


if __name__ == "__main__":
    main()
