"""``incidentbot drift REF CUR``: the drift analysis the channel gets, printed here as a
table or, with ``--json``, as figures a script can read."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.diagnosis.drift import ColumnDrift, DriftReport


def add_parser(commands: Any) -> None:
    drift = commands.add_parser(
        "drift",
        help="whether the data changed: each column's drift test between two data sets",
        description="Compare a reference and a current data set (CSV or Parquet: a file on "
        "this machine or an http(s) URL) column by column, with the tests Evidently runs by "
        "default (Kolmogorov-Smirnov or chi-squared on small samples, Wasserstein or "
        "Jensen-Shannon distance on large ones, PSI beside); the data set has drifted when "
        "half its features have.",
    )
    drift.add_argument("reference", metavar="REF", help="the reference data set")
    drift.add_argument("current", metavar="CUR", help="the current data set")
    drift.add_argument("--prediction", metavar="COLUMN", help="the model's output column")
    drift.add_argument("--target", metavar="COLUMN", help="the true outcome column")
    drift.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="COLUMN[,COLUMN]",
        help="columns not to compare (ids, timestamps); repeat or join with commas",
    )
    drift.add_argument("--json", action="store_true", help="print the figures as JSON")
    drift.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.diagnosis import datasets
    from bot.diagnosis.drift import DriftInputError, analyse

    limits = settings.drift_limits
    skip = [name.strip() for given in args.skip for name in given.split(",") if name.strip()]
    try:
        tables = datasets.read_here((args.reference, args.current), limits, settings.data_dir)
        report = analyse(
            tables[0], tables[1], prediction=args.prediction, target=args.target, skip=skip
        )
    except (datasets.SourceError, DriftInputError) as problem:
        print(f"incidentbot: {problem}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(report), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(as_table(report))
    return 0


def as_json(report: DriftReport) -> dict[str, Any]:
    """Every tested column's test, score, threshold and verdict, and the data set's."""
    tested = [*report.columns, *filter(None, (report.prediction, report.target))]
    return {
        "columns": {column.column: _column(column) for column in tested},
        "drifted_share": round(len(report.drifted) / len(report.columns), 6)
        if report.columns
        else 0.0,
        "dataset_drift": report.dataset_drift,
        "rows": {"reference": report.reference_rows, "current": report.current_rows},
        "method": "exact",
        "not_tested": {c.column: c.not_tested for c in report.not_tested},
    }


def _column(column: ColumnDrift) -> dict[str, Any]:
    outcome = column.outcome
    assert outcome is not None
    return {
        "kind": str(column.kind),
        "test": str(outcome.method),
        "score": outcome.score,
        "threshold": outcome.method.threshold,
        "drifted": outcome.drifted,
        "psi": outcome.psi,
        "missing": {"reference": column.reference_missing, "current": column.current_missing},
    }


def as_table(report: DriftReport) -> str:
    tested = [*report.columns, *filter(None, (report.prediction, report.target))]
    width = max([len("column"), *(len(c.column) for c in tested)])
    lines = [
        f"Drift: {report.verdict()} ({report.reference_rows:,} reference rows, "
        f"{report.current_rows:,} current)",
        "",
        f"{'column':<{width}}  {'kind':<11}  {'test':<13}  {'score':>9}  {'threshold':>9}  drifted",
    ]
    for column in tested:
        outcome = column.outcome
        assert outcome is not None
        role = (
            " (prediction)"
            if column is report.prediction
            else " (target)"
            if column is report.target
            else ""
        )
        lines.append(
            f"{column.column:<{width}}  {column.kind!s:<11}  {outcome.method!s:<13}  "
            f"{outcome.score:>9.4g}  {outcome.method.threshold:>9.4g}  "
            f"{'yes' if outcome.drifted else 'no'}{role}"
        )
    for column in report.not_tested:
        lines.append(f"{column.column:<{width}}  not tested: {column.not_tested}")
    return "\n".join(lines)
