"""Drift where the data lives, at size: a partitioned Parquet dataset streamed through the
embedded engine, and a PostgreSQL table's windows pushed down into it.

Parquet: writes ``--rows`` rows (20,000,000 by default) × 20 columns (14 floats, 3
integer codes, 3 string categories) as ``--days`` daily hive partitions
(``date=2026-12-DD/``, 8 by default) in ``--folder``; the last day has a third of its
columns moved. Then compares the last day against the day a week before with
``incidentbot drift`` (the sketch path, the folders as given), and the exact path on a
sample of ``--sample`` rows of each day that fits in memory, with the sketch path on the
same sample to compare the verdicts column by column.

PostgreSQL (``--postgres URL``, by default ``INCIDENTBOT_TEST_POSTGRES_URL``; left out
without one): fills a table of ``--table-rows`` rows (10,000,000 by default) spread over
eight days, with an index on its time, the last hour shifted, inside the server
(``generate_series``); then the last hour against the same hour a week before, pushed
down, and the exact path reading both windows' rows.

Every run happens in a fresh process of its own; its time and its peak resident memory
(the kernel's high-water mark of the whole process, interpreter and libraries included)
are printed, with the ratio to the exact path.

    python -m tests.benchmarks.drift_where_data_lives [--rows 20000000] [--days 8]
        [--sample 1000000] [--folder PATH] [--postgres URL] [--table-rows 10000000]
        [--skip-parquet]

Goals on the 2-core machine: the Parquet comparison under 30 s and 1 GB resident; the
table's under 20 s and 200 MB resident in the bot.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NOW = "2026-12-08T00:00:00+00:00"  # the end of the last day; the table's last hour ends here
CATEGORIES = np.array(["web", "app", "pos", "partner", "phone"], dtype=object)

CHILD = """
import json, sys, time
from datetime import datetime
from bot.diagnosis.sources import compare
from bot.diagnosis.sources.allowed import Places
from bot.diagnosis.sources.places import window
from tests.benchmarks.common import resident
task = json.loads(sys.argv[1])
where = compare.Where(
    places=Places.parse(None, None, task.get("url"), task.get("table"), "300"),
    window=window(*task["window"]) if task.get("window") else window(None, None, None),
    here=True,
)
open('/proc/self/clear_refs', 'w').write('5')
base = resident('VmRSS')
started = time.perf_counter()
found = compare.drift(
    where.place(task["reference"]), where.place(task["current"]), where,
    datetime.fromisoformat(task["now"]), method=task["method"],
)
seconds = time.perf_counter() - started
report = found.report
print(json.dumps({
    "seconds": seconds,
    "peak": resident("VmHWM"),
    "added": resident("VmHWM") - base,
    "method": found.method,
    "error": found.error,
    "rows": [report.reference_rows, report.current_rows],
    "verdicts": {c.column: [c.outcome.method.value, c.outcome.drifted]
                 for c in report.columns if c.outcome is not None},
    "share": len(report.drifted) / max(len(report.columns), 1),
    "dataset_drift": report.dataset_drift,
}))
"""


def run(task: dict[str, Any]) -> dict[str, Any]:
    """One comparison in a fresh process: its time, peak memory and verdicts."""
    root = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps({"now": NOW, **task})],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def day_table(rows: int, rng: np.random.Generator, shifted: bool) -> pa.Table:
    columns: dict[str, Any] = {}
    for i in range(14):
        moved = shifted and i % 3 == 0
        columns[f"num_{i:02d}"] = rng.normal(0.4 if moved else 0.0, 1.0, rows)
    for i in range(3):
        shares = [0.1, 0.1, 0.2, 0.2, 0.2, 0.2] if shifted and i == 0 else [0.2] * 4 + [0.1] * 2
        columns[f"code_{i}"] = rng.choice(6, rows, p=shares)
    for i in range(3):
        shares = [0.4, 0.3, 0.1, 0.1, 0.1] if shifted and i == 0 else [0.2] * 5
        columns[f"cat_{i}"] = rng.choice(CATEGORIES, rows, p=shares)
    return pa.table(columns)


def write_dataset(folder: Path, rows: int, days: int) -> tuple[Path, Path]:
    """The dataset, one partition per day (row groups of 1M rows), written once."""
    per_day = rows // days
    last = folder / f"date=2026-12-{days:02d}"
    first = folder / "date=2026-12-01"
    if last.exists() and (folder / "complete").exists():
        return first, last
    rng = np.random.default_rng(7)
    for day in range(1, days + 1):
        part = folder / f"date=2026-12-{day:02d}"
        part.mkdir(parents=True, exist_ok=True)
        written = 0
        with pq.ParquetWriter(part / "part-0.parquet", day_table(1, rng, False).schema) as out:
            while written < per_day:
                chunk = min(1_000_000, per_day - written)
                out.write_table(day_table(chunk, rng, day == days))
                written += chunk
    (folder / "complete").write_text(str(rows))
    return first, last


def sample(source: Path, target: Path, rows: int) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    kept = pq.ParquetFile(source / "part-0.parquet").iter_batches(batch_size=rows)
    pq.write_table(pa.Table.from_batches([next(kept)]), target / "part-0.parquet")
    return target


def agreement(one: dict[str, Any], other: dict[str, Any]) -> str:
    same = sum(one["verdicts"][c] == other["verdicts"].get(c) for c in one["verdicts"])
    return (
        f"{same} of {len(one['verdicts'])} columns' verdicts identical; data set drift "
        f"{'identical' if one['dataset_drift'] == other['dataset_drift'] else 'DIFFERENT'}; "
        f"drifted share {one['share']:.3f} against {other['share']:.3f}"
    )


def show(what: str, result: dict[str, Any]) -> None:
    print(
        f"  {what:<44} {result['seconds']:7.2f} s  peak {result['peak'] / 2**20:5.0f} MB "
        f"(+{result['added'] / 2**20:.0f} MB for the run)  "
        f"({result['rows'][0]:,} + {result['rows'][1]:,} rows, {result['method']}"
        + (f", scores within ±{result['error']:.2g})" if result["error"] else ")")
    )


def parquet(args: argparse.Namespace) -> None:
    if args.folder:
        measure(args, Path(args.folder))
        return
    with tempfile.TemporaryDirectory(prefix="drift-dataset-") as folder:
        measure(args, Path(folder))


def measure(args: argparse.Namespace, folder: Path) -> None:
    started = time.perf_counter()
    first, last = write_dataset(folder, args.rows, args.days)
    print(
        f"Parquet: {args.rows:,} rows × 20 columns in {args.days} daily partitions at "
        f"{folder} ({time.perf_counter() - started:.0f} s to write or find)"
    )
    streamed = run({"reference": str(first), "current": str(last), "method": "sketch"})
    show("last day against a week before: sketch", streamed)
    with tempfile.TemporaryDirectory(prefix="drift-sample-") as kept:
        samples = Path(kept)
        ref = sample(first, samples / "ref", args.sample)
        cur = sample(last, samples / "cur", args.sample)
        exact = run({"reference": str(ref), "current": str(cur), "method": "exact"})
        on_sample = run({"reference": str(ref), "current": str(cur), "method": "sketch"})
    show(f"exact path on a sample of {args.sample:,} a side", exact)
    show("sketch path on the same sample", on_sample)
    per_row = (streamed["seconds"] / sum(streamed["rows"])) / (
        exact["seconds"] / sum(exact["rows"])
    )
    print(f"  verdicts on the sample: {agreement(exact, on_sample)}")
    print(f"  verdicts, all rows against the exact sample: {agreement(exact, streamed)}")
    print(f"  time per row, sketch against exact: {per_row:.2f}×")


def postgres(args: argparse.Namespace) -> None:
    import psycopg

    url = args.postgres.replace("postgresql+psycopg://", "postgresql://")
    name = "drift_bench"
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as connection:
        have = connection.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename = %s", (name,)
        ).fetchone()
        rows = 0
        if have and have[0]:
            counted = connection.execute(f"SELECT count(*) FROM {name}").fetchone()
            rows = counted[0] if counted else 0
        if rows != args.table_rows:
            fill(connection, name, args.table_rows)
    print(
        f"PostgreSQL: {args.table_rows:,} rows × 20 columns over 8 days "
        f"({time.perf_counter() - started:.0f} s to fill or find), index on ts"
    )
    task = {
        "reference": f"table:{name}",
        "current": f"table:{name}",
        "url": url,
        "table": name,
        "window": ["ts", "1h", "7d"],
    }
    pushed = run({**task, "method": "pushdown"})
    exact = run({**task, "method": "exact"})
    show("last hour against a week before: pushdown", pushed)
    show("exact path: both windows' rows read", exact)
    print(f"  verdicts: {agreement(exact, pushed)}")
    print(f"  time, pushdown against exact: {pushed['seconds'] / exact['seconds']:.2f}×")


def fill(connection: Any, name: str, rows: int) -> None:
    """Rows spread evenly over the eight days before NOW; the last hour's moved."""
    normal = "sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())"
    shifted = f"(ts >= timestamptz '{NOW}' - interval '1 hour')"
    numbers = ", ".join(
        f"{normal} + CASE WHEN {shifted} AND {i % 3 == 0} THEN 0.4 ELSE 0 END AS num_{i:02d}"
        for i in range(14)
    )
    codes = ", ".join(
        f"CASE WHEN {shifted} AND {i == 0} THEN floor(random() * 3)::int "
        f"ELSE floor(random() * 6)::int END AS code_{i}"
        for i in range(3)
    )
    cats = ", ".join(
        f"(ARRAY['web','app','pos','partner','phone'])[CASE WHEN {shifted} AND {i == 0} "
        f"THEN 1 + floor(random() * 2)::int ELSE 1 + floor(random() * 5)::int END] AS cat_{i}"
        for i in range(3)
    )
    connection.execute(f"DROP TABLE IF EXISTS {name}")
    connection.execute(
        f"CREATE TABLE {name} AS SELECT ts, {numbers}, {codes}, {cats} FROM ("
        f"SELECT timestamptz '{NOW}' - (i * interval '8 days' / {rows}) AS ts "
        f"FROM generate_series(1, {rows}) AS i) AS times"
    )
    connection.execute(f"CREATE INDEX ON {name} (ts)")
    connection.execute(f"ANALYZE {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--sample", type=int, default=1_000_000)
    parser.add_argument(
        "--folder",
        help="where the dataset is written and kept for reuse (default: a temporary one)",
    )
    parser.add_argument("--postgres", default=os.environ.get("INCIDENTBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--table-rows", type=int, default=10_000_000)
    parser.add_argument("--skip-parquet", action="store_true")
    args = parser.parse_args()
    if not args.skip_parquet:
        parquet(args)
    if args.postgres:
        postgres(args)
    else:
        print("PostgreSQL: left out (no --postgres and no INCIDENTBOT_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    main()
