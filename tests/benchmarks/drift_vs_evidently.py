"""Our drift analysis against Evidently's DataDriftPreset on the same large tables.

Builds a reference and a current table of ``--rows`` rows (1,000,000 by default)
and 20 columns: 14 floating-point features (a third of them shifted), 3 integer
codes and 3 string categories (one of each with moved shares). Then, in this
process, times ``bot.diagnosis.drift.analyse`` and Evidently's preset on the
same DataFrames, prints both and the ratio, checks that the verdicts (which
columns drifted, by which test) are identical, and prints peak memory: ours
traced with tracemalloc in a separate run (tracing slows Python code, so it is
not timed), Evidently's as the process's peak resident memory.

    python -m tests.benchmarks.drift_vs_evidently [--rows 1000000] [--workers 2] [--skip-evidently]

The goal is 30 times faster than Evidently, with identical verdicts, on the
2-core machine the project is developed on.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from bot.diagnosis.drift import DriftReport, analyse

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


def ours_peak(reference: pd.DataFrame, current: pd.DataFrame, workers: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        analyse(reference, current, workers=workers)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


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
    peak = ours_peak(reference, current, workers)
    print(f"ours:      {our_seconds:8.2f} s   ({workers} workers)   {report.verdict()}")
    print(f"ours, peak memory traced while analysing: {peak / 1024 / 1024:,.0f} MB")
    if skip_evidently:
        return
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    their_seconds, theirs = evidently(reference, current)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    mine = {
        str(c.column): f"{c.outcome.method.value}:{'drifted' if c.drifted else 'stable'}"
        for c in report.columns
        if c.outcome is not None
    }
    same = mine == theirs
    print(f"Evidently: {their_seconds:8.2f} s")
    print(
        f"Evidently, process peak resident memory: {rss_after / 1024:,.0f} MB "
        f"(before it ran: {rss_before / 1024:,.0f} MB)"
    )
    print(f"ratio: ours is {their_seconds / our_seconds:.1f}x faster (goal: 30x)")
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
