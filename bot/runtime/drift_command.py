"""``incidentbot drift REF CUR``: the drift analysis the channel gets, printed here as a
table or, with ``--json``, as figures a script can read."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
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
        "half its columns have.",
    )
    drift.add_argument("reference", metavar="REF", help="the reference data set")
    drift.add_argument(
        "current",
        metavar="CUR",
        nargs="?",
        help="the current data set (left out with --time-column: REF's two windows)",
    )
    drift.add_argument("--prediction", metavar="COLUMN", help="the model's output column")
    drift.add_argument("--target", metavar="COLUMN", help="the true outcome column")
    drift.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="COLUMN[,COLUMN]",
        help="columns not to compare (ids, timestamps); repeat or join with commas",
    )
    add_where(drift)
    drift.add_argument("--json", action="store_true", help="print the figures as JSON")
    drift.set_defaults(run=run)


def add_where(parser: Any) -> None:
    """The options that choose rows and the way they are read (drift and fairness)."""
    parser.add_argument(
        "--time-column", metavar="COLUMN", help="the rows' time, for --window and --against"
    )
    parser.add_argument(
        "--window", metavar="SPAN", help="the current window: the last 15m, 1h, 1d… (default 1h)"
    )
    parser.add_argument(
        "--against",
        metavar="SPAN|previous",
        help="the reference window: the same window this long before (7d), or the one "
        "just before it (previous, the default)",
    )
    parser.add_argument(
        "--until",
        metavar="TIME",
        help="where the current window ends (ISO 8601, e.g. 2026-12-07T03:00Z; default now)",
    )
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="only rows where COLUMN equals VALUE; repeat for several",
    )
    parser.add_argument(
        "--method",
        choices=("auto", "exact", "sketch", "pushdown"),
        default="auto",
        help="exact reads every row into memory; sketch streams a data set and summarises "
        "it; pushdown asks the warehouse for the summaries (default: by size)",
    )


def until(args: argparse.Namespace) -> datetime:
    """Where the current window ends: ``--until``, or now."""
    from bot.diagnosis import datasets

    if args.until is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(args.until.replace("Z", "+00:00"))
    except ValueError:
        raise datasets.SourceError(
            f"--until {args.until[:40]!r} is not a time; give one such as 2026-12-07T03:00Z."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def places(args: argparse.Namespace, settings: Settings) -> tuple[Any, Any, Any]:
    """REF and CUR as places (CUR is REF when only windows tell them apart), and where
    to find them."""
    from bot.diagnosis import datasets
    from bot.diagnosis.sources import compare
    from bot.diagnosis.sources import places as naming

    current = args.current
    if current is None:
        if args.time_column is None:
            raise datasets.SourceError(
                "Give the current data set too, or --time-column to compare two windows of one."
            )
        current = args.reference
    where = compare.Where(
        places=settings.data_places,
        limits=settings.drift_limits,
        data_dir=settings.data_dir,
        window=naming.window(args.time_column, args.window, args.against, args.where),
        here=True,
    )
    return where.place(args.reference), where.place(current), where


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.diagnosis import datasets
    from bot.diagnosis.drift import DriftInputError
    from bot.diagnosis.sources import compare

    skip = [name.strip() for given in args.skip for name in given.split(",") if name.strip()]
    try:
        reference, current, where = places(args, settings)
        found = compare.drift(
            reference,
            current,
            where,
            until(args),
            prediction=args.prediction,
            target=args.target,
            skip=skip,
            method=args.method,
        )
    except (datasets.SourceError, DriftInputError) as problem:
        print(f"incidentbot: {problem}", file=sys.stderr)
        return 2
    if args.json:
        shown = {
            **as_json(found.report, found.method, found.error),
            "bytes": found.sizes,
            "read_sha256": found.digests,  # as the evidence record names them
        }
        print(json.dumps(shown, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(as_table(found.report, found.method, found.error, found.digests))
    return 0


def as_json(report: DriftReport, method: str = "exact", error: float = 0.0) -> dict[str, Any]:
    """Every tested column's test, score, threshold and verdict, and the data set's."""
    tested = [*report.columns, *filter(None, (report.prediction, report.target))]
    return {
        "columns": {column.column: _column(column) for column in tested},
        "drifted_share": round(len(report.drifted) / len(report.columns), 6)
        if report.columns
        else 0.0,
        "dataset_drift": report.dataset_drift,
        "rows": {"reference": report.reference_rows, "current": report.current_rows},
        "method": method,
        "error_bound": error,
        "not_tested": {c.column: c.not_tested for c in report.not_tested},
    }


def _column(column: ColumnDrift) -> dict[str, Any]:
    from bot.diagnosis.columns import ColumnKind

    outcome = column.outcome
    assert outcome is not None
    return {
        "kind": "num" if column.kind is ColumnKind.NUMERICAL else "cat",
        "test": str(outcome.method),
        "score": outcome.score,
        "threshold": outcome.method.threshold,
        "drifted": outcome.drifted,
        "psi": outcome.psi,
        "missing": {"reference": column.reference_missing, "current": column.current_missing},
    }


def as_table(
    report: DriftReport,
    method: str = "exact",
    error: float = 0.0,
    digests: Mapping[str, str] | None = None,
) -> str:
    """The table, then what each side read: its SHA-256 (``read_sha256`` in the evidence
    record; for a file read whole, the figure ``sha256sum`` prints)."""
    from bot.diagnosis.sources import compare

    tested = [*report.columns, *filter(None, (report.prediction, report.target))]
    width = max([len("column"), *(len(c.column) for c in tested)])
    lines = [
        f"Drift: {report.verdict()} ({report.reference_rows:,} reference rows, "
        f"{report.current_rows:,} current; {compare.described(method, error)})",
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
    return "\n".join([*lines, *read_lines(digests)])


def read_lines(digests: Mapping[str, str] | None) -> list[str]:
    """A blank line, then each side's "Reference read: sha256 <hex>" (drift and fairness
    end their tables with them); nothing when nothing was hashed."""
    if not digests:
        return []
    return [
        "",
        *(
            f"{side.capitalize() + ' read:':<15} sha256 {digests[side]}"
            for side in ("reference", "current")
            if side in digests
        ),
    ]
