"""``incidentbot fairness REF CUR --group … --prediction …``: the fairness analysis the
channel gets, printed here as a table or, with ``--json``, as Fairlearn-named figures;
both end with the SHA-256 of what each side read, as ``incidentbot drift`` does."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.config import Settings
from bot.runtime import drift_command


def add_parser(commands: Any) -> None:
    fairness = commands.add_parser(
        "fairness",
        help="selection rate, error rates and parity by group between two data sets",
        description="Compare a reference and a current data set (CSV or Parquet: a file on "
        "this machine or an http(s) URL) by group: count, selection rate, and with "
        "labels true/false positive rates, accuracy and model quality; demographic parity and "
        "equalized odds across groups, under Fairlearn's names.",
    )
    fairness.add_argument("reference", metavar="REF", help="the reference data set")
    fairness.add_argument(
        "current",
        metavar="CUR",
        nargs="?",
        help="the current data set (left out with --time-column: REF's two windows)",
    )
    fairness.add_argument(
        "--group",
        action="append",
        required=True,
        metavar="COLUMN[,COLUMN]",
        help="a group column, or columns joined by commas for their intersections; repeat "
        "for several breakdowns",
    )
    fairness.add_argument("--prediction", required=True, metavar="COLUMN")
    fairness.add_argument("--label", metavar="COLUMN", help="the true outcome, if known")
    fairness.add_argument(
        "--favourable",
        metavar="VALUE",
        help="the prediction (and label) value that is the favourable outcome; needed "
        "unless the column holds 0/1 or true/false",
    )
    fairness.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="for a score between 0 and 1: the decision is score >= this (default 0.5)",
    )
    fairness.add_argument(
        "--min-group-size",
        type=int,
        default=None,
        metavar="N",
        help="groups with fewer rows in a window are not judged there (default 30)",
    )
    drift_command.add_where(fairness)
    fairness.add_argument("--json", action="store_true", help="print the figures as JSON")
    fairness.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.diagnosis import asking, datasets, fairness, printed
    from bot.diagnosis.sources import compare

    try:
        request = fairness.Request(
            groups=asking.parse_groups(args.group),
            prediction=args.prediction,
            label=args.label,
            favourable=args.favourable,
            threshold=args.threshold,
            min_group_size=(
                fairness.MIN_GROUP_SIZE if args.min_group_size is None else args.min_group_size
            ),
        )
        reference, current, where = drift_command.places(args, settings)
        read: dict[str, str] = {}  # per side, the SHA-256 of what was read (compare.Reads)
        ref, cur, method = compare.fairness_tables(
            reference,
            current,
            where,
            drift_command.until(args),
            compare.needed(request),
            args.method,
            digests=read,
        )
        # "read_sha256": as the evidence record and `incidentbot drift --json` name it
        facts = {**fairness.analyse(ref, cur, request), "method": method, "read_sha256": read}
    except (datasets.SourceError, fairness.FairnessInputError) as problem:
        print(f"incidentbot: {problem}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(facts, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print("\n".join([printed.report(facts), *drift_command.read_lines(read)]))
    return 0
