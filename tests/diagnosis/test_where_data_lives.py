"""Drift and fairness where the data lives: hive-partitioned Parquet and CSV folders, an
S3 bucket (moto's S3 server on loopback), warehouse tables on DuckDB and PostgreSQL. The
streamed and pushed-down paths must give the exact path's verdicts, and every source the
bot may not read is refused with the setting that would allow it."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from bot.app import drift as drift_flow
from bot.app import fairness as fairness_flow
from bot.app.services import Services
from bot.diagnosis import fairness
from bot.diagnosis.datasets import SourceError
from bot.diagnosis.drift import DriftInputError
from bot.diagnosis.limits import Limits
from bot.diagnosis.sources import compare, engines
from bot.diagnosis.sources.allowed import Places
from bot.diagnosis.sources.places import Bucket, Dataset, Single, Table, place, window
from bot.drills import scenarios
from bot.incidents.declare import Declaration, declare
from bot.incidents.kinds import EventKind
from bot.incidents.severity import Severity
from bot.runtime.cli import main
from bot.sandbox import SlackStandIn
from bot.slack.listeners.commands.parsing import parse_drift_args, parse_fairness_args
from bot.store.models import TimelineEvent, utcnow
from tests.diagnosis import fairness_data
from tests.diagnosis.data import table
from tests.services_fixtures import _no_calls_inside_transactions  # noqa: F401  (fixture)
from tests.services_fixtures import services as services
from tests.support import POSTGRES_ENV, missing_server

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ROWS = 1500  # over 1,000 a side: the large-sample tests, which summaries serve


def _same_verdicts(exact: compare.Drift, other: compare.Drift) -> None:
    ours, theirs = exact.report, other.report
    assert ours.dataset_drift is theirs.dataset_drift
    assert (
        abs(len(ours.drifted) / len(ours.columns) - len(theirs.drifted) / len(theirs.columns))
        <= 0.01
    )
    tested = {c.column: c for c in theirs.columns}
    assert set(tested) == {c.column for c in ours.columns}
    for column in ours.columns:
        assert column.outcome is not None
        seen = tested[column.column].outcome
        assert seen is not None
        assert (column.column, seen.method, seen.drifted) == (
            column.column,
            column.outcome.method,
            column.outcome.drifted,
        )
        assert seen.score == pytest.approx(
            column.outcome.score, abs=other.errors.get(column.column, 0) + 1e-9
        )
    assert {c.column for c in ours.not_tested} == {c.column for c in theirs.not_tested}
    missing = {c.column: (c.reference_missing, c.current_missing) for c in theirs.columns}
    for column in ours.columns:
        assert missing[column.column] == pytest.approx(
            (column.reference_missing, column.current_missing)
        )


# --- naming a source, and the refusals -------------------------------------------------


def test_each_kind_of_source_is_told_apart_and_refused_with_the_setting_that_allows_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "preds" / "date=2026-12-07").mkdir(parents=True)
    (tmp_path / "preds" / "date=2026-12-07" / "a.parquet").write_bytes(b"PAR1")
    (tmp_path / "one.csv").write_text("a\n1\n")
    allowed = Places.parse("ml-logs", None, "duckdb:///w.duckdb", "preds,ml.scores", None)
    assert isinstance(place("one.csv", allowed, tmp_path), Single)
    assert place("preds/", allowed, tmp_path) == Dataset(
        "preds/", tmp_path / "preds", confined=tmp_path
    )
    globbed = place("preds/date=2026-12-*/*.parquet", allowed, tmp_path)
    assert isinstance(globbed, Dataset) and globbed.pattern == "date=2026-12-*/*.parquet"
    assert place("s3://ml-logs/fraud/date=2026-12-07/", allowed, None) == Bucket(
        "s3://ml-logs/fraud/date=2026-12-07/", "s3", "ml-logs", "fraud/date=2026-12-07"
    )
    assert place("table:ML.Scores", allowed, None) == Table("table:ML.Scores", "ML.Scores")
    nothing = Places()
    for text, places, said in (
        ("s3://other/x", allowed, "bucket other is not one .* add it to INCIDENTBOT_DATA_BUCKETS"),
        ("gs://ml-logs/x", nothing, "add it to INCIDENTBOT_DATA_BUCKETS"),
        ("s3://ml-logs/../x", allowed, "may not climb out"),
        ("table:preds", nothing, r"INCIDENTBOT_WAREHOUSE_URL is not set"),
        ("table:users", allowed, "add it to INCIDENTBOT_WAREHOUSE_TABLES"),
        ("table:preds;drop table preds", allowed, "a table is named table:NAME"),
        ("../one.csv", allowed, "leads outside the data folder"),
        ("nowhere/", allowed, "there is no such file in the data folder"),
    ):
        with pytest.raises(SourceError, match=said):
            place(text, places, tmp_path / "preds" if text.startswith("..") else tmp_path)
    for bad, said in (
        (("Bad_Bucket", None, None, None, None), "INCIDENTBOT_DATA_BUCKETS"),
        ((None, None, None, "preds", None), "INCIDENTBOT_WAREHOUSE_URL is not"),
        ((None, None, "pg", None, None), "not a SQLAlchemy URL"),
        ((None, "s3.local", None, None, None), "INCIDENTBOT_S3_ENDPOINT_URL"),
        ((None, None, None, None, "0"), "INCIDENTBOT_WAREHOUSE_TIMEOUT"),
    ):
        with pytest.raises(ValueError, match=said):
            Places.parse(*bad)


def test_windows_are_the_last_span_against_one_before() -> None:
    week = window("ts", "1h", "7d", ["model=v3"])
    assert week.bounds(NOW) == {
        "reference": (NOW - timedelta(days=7, hours=1), NOW - timedelta(days=7)),
        "current": (NOW - timedelta(hours=1), NOW),
    }
    assert week.where == (("model", "v3"),)
    assert window("ts", "15m", "previous").bounds(NOW)["reference"] == (
        NOW - timedelta(minutes=30),
        NOW - timedelta(minutes=15),
    )
    for args, said in (
        ((None, "1h", None), "need --time-column"),
        (("ts", "1 hour", None), "give a length such as 15m"),
        (("ts", "1d", "1h"), "would overlap"),
        (("ts", "1h", "7d", ["model"]), "give column=value"),
        (("ts", "1h", "7d", ["x) or (1=1=1"]), "give column=value"),
    ):
        with pytest.raises(SourceError, match=said):
            window(*args)


# --- datasets: hive-partitioned Parquet and CSV, streamed -------------------------------


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    sides = {
        "ref": table(ROWS, shifted=False, seed=1),
        "cur": table(ROWS, shifted=True, seed=2),
        "same": table(ROWS, shifted=False, seed=3),
    }
    # Infinite and NaN values (not nulls) in one column: missing to every path.
    sides["cur"].loc[::50, "tenure"] = np.inf
    sides["cur"].loc[1::50, "tenure"] = np.nan
    for name, frame in sides.items():
        for day in (0, 1):
            part = root / "parquet" / name / f"date=2026-12-0{day + 1}"
            part.mkdir(parents=True)
            half = frame.iloc[day::2]
            kept = pa.Table.from_pandas(half, preserve_index=False)
            at = kept.schema.get_field_index("tenure")
            tenure = pa.array(half["tenure"].to_numpy(), from_pandas=False)  # NaN, not null
            pq.write_table(kept.set_column(at, "tenure", tenure), part / "part-0.parquet")
            csv = root / "csv" / name
            csv.mkdir(parents=True, exist_ok=True)
            frame.iloc[day::2].to_csv(csv / f"day{day}.csv", index=False)
    for name in ("ref", "cur"):
        frames = fairness_data.windows(ROWS, 6, seed=5)
        folder = root / "fair" / name
        folder.mkdir(parents=True)
        frames[0 if name == "ref" else 1].to_parquet(folder / "part.parquet")
    return root


@pytest.mark.parametrize(
    ("reference", "current"),
    [
        ("parquet/ref", "parquet/cur"),
        ("csv/ref/*.csv", "csv/same/day*.csv"),
    ],
)
def test_streamed_summaries_give_the_exact_paths_verdicts(
    tree: Path, reference: str, current: str
) -> None:
    where = compare.Where(data_dir=tree)
    ref, cur = where.place(reference), where.place(current)
    exact = compare.drift(ref, cur, where, NOW, method="exact", prediction="score")
    streamed = compare.drift(ref, cur, where, NOW, method="sketch", prediction="score")
    assert (exact.method, streamed.method) == ("exact", "sketch")
    assert streamed.report.reference_rows == streamed.report.current_rows == ROWS
    _same_verdicts(exact, streamed)
    assert 0 < streamed.error < 0.05  # stated, and small beside the 0.1 threshold
    assert all(size and size > 0 for size in streamed.sizes.values())  # bytes reported
    assert "date" not in {c.column for c in streamed.report.columns}  # a partition, not a feature
    narrow = compare.Where(data_dir=tree, limits=Limits(max_columns=5))
    with pytest.raises(SourceError, match=r"share 11 columns; the limit is 5 \(INCIDENTBOT_DRIFT"):
        compare.drift(ref, cur, narrow, NOW)
    (tree / "leaky").mkdir(exist_ok=True)
    outside = tree.parent / f"elsewhere-{tree.name}.parquet"
    if not outside.exists():
        shutil.copy(next((tree / "parquet" / "ref").rglob("*.parquet")), outside)
        (tree / "leaky" / "x.parquet").symlink_to(outside)
    with pytest.raises(SourceError, match="leaky leads outside the data folder"):
        compare.drift(where.place("leaky"), cur, where, NOW, method="sketch")
    (tree / "damaged").mkdir(exist_ok=True)
    (tree / "damaged" / "part-0.parquet").write_bytes(b"PAR1 not really PAR1")
    with pytest.raises(SourceError, match="damaged is not a readable dataset"):
        compare.drift(where.place("damaged"), cur, where, NOW, method="sketch")


def test_a_score_too_close_to_call_from_summaries_is_computed_from_the_values(
    tmp_path: Path,
) -> None:
    reference = table(ROWS, shifted=False, seed=1)
    current = reference.copy()
    # Every value moved by 0.1001 standard deviations: a Wasserstein score of 0.1001,
    # nearer the threshold (0.1) than the summaries' bound.
    current["amount"] += 0.1001 * reference["amount"].std(ddof=0)
    reference.to_csv(tmp_path / "ref.csv", index=False)
    current.to_csv(tmp_path / "cur.csv", index=False)
    where = compare.Where(data_dir=tmp_path)
    ref, cur = where.place("ref.csv"), where.place("cur.csv")
    streamed = compare.drift(ref, cur, where, NOW, method="sketch")
    exact = compare.drift(ref, cur, where, NOW, method="exact")
    _same_verdicts(exact, streamed)
    assert "amount" not in streamed.errors  # computed from its values, not its summary
    amount = next(c for c in streamed.report.columns if c.column == "amount")
    assert amount.outcome is not None and amount.outcome.score == pytest.approx(0.1001)
    assert amount.drifted
    # --where chooses the rows on every path (the exact one included).
    web = compare.Where(data_dir=tmp_path, window=window(None, None, None, ["channel=web"]))
    chosen = [compare.drift(ref, cur, web, NOW, method=m) for m in ("exact", "sketch")]
    expected = int((reference["channel"] == "web").sum())
    for found in chosen:
        assert (found.report.reference_rows, found.report.current_rows) == (expected, expected)
    _same_verdicts(*chosen)


def test_fairness_from_counts_equals_the_exact_figures(tree: Path) -> None:
    where = compare.Where(data_dir=tree)
    request = fairness.Request(
        groups=(("group",), ("group", "band")), prediction="predicted", label="label"
    )
    ref, cur = where.place("fair/ref"), where.place("fair/cur")
    columns = compare.needed(request)
    exact = compare.fairness_tables(ref, cur, where, NOW, columns, "exact")
    counted = compare.fairness_tables(ref, cur, where, NOW, columns)
    assert (exact[2], counted[2]) == ("exact", "sketch")
    assert fairness.analyse(counted[0], counted[1], request) == fairness.analyse(
        exact[0], exact[1], request
    )


# --- warehouse tables: DuckDB always, PostgreSQL where CI has it -------------------------


def _windows_table() -> pd.DataFrame:
    """Rows in four places: the current hour (drifted), the same hour a week before, the
    hour just before, and another model's rows in the current hour."""
    parts = []
    for start, frame, model in (
        (NOW - timedelta(hours=1), table(ROWS, shifted=True, seed=2), "v3"),
        (NOW - timedelta(days=7, hours=1), table(ROWS, shifted=False, seed=1), "v3"),
        (NOW - timedelta(hours=2), table(ROWS, shifted=True, seed=4), "v3"),
        (NOW - timedelta(hours=1), table(ROWS, shifted=False, seed=6), "v2"),
    ):
        frame = frame.copy()
        frame["ts"] = start + pd.to_timedelta(range(ROWS), unit="s")
        frame["model"] = model
        parts.append(frame)
    fairness_window = fairness_data.windows(4 * ROWS, 4, seed=9)[1]
    every = pd.concat(parts, ignore_index=True)
    return every.assign(group=fairness_window["group"], predicted=fairness_window["predicted"])


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The same rows in a DuckDB file and, where a server is given, in PostgreSQL."""
    import duckdb

    rows = _windows_table()
    path = tmp_path_factory.mktemp("warehouse") / "w.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.register("frame", rows)
        connection.execute("CREATE TABLE preds AS SELECT * FROM frame")
    urls = {"duckdb": f"duckdb:///{path}", "pg_table": f"preds_{uuid.uuid4().hex[:8]}"}
    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        yield urls
        return
    import psycopg

    name = urls["pg_table"]
    types = {"float64": "double precision", "int64": "bigint", "bool": "boolean"}
    columns = ", ".join(
        f'"{c}" {types.get(str(t), "timestamptz" if c == "ts" else "text")}'
        for c, t in rows.dtypes.items()
    )
    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE TABLE "{name}" ({columns})')
        with connection.cursor().copy(f'COPY "{name}" FROM STDIN (FORMAT csv)') as copy:
            copy.write(rows.to_csv(index=False, header=False))
    urls["postgresql"] = plain
    try:
        yield urls
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP TABLE IF EXISTS "{name}"')


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_a_tables_windows_pushed_down_give_the_exact_paths_verdicts(
    warehouses: dict[str, str], backend: str
) -> None:
    if backend not in warehouses:
        missing_server("PostgreSQL")
    name = "preds" if backend == "duckdb" else warehouses["pg_table"]
    where = compare.Where(
        places=Places.parse(None, None, warehouses[backend], name, "30"),
        window=window("ts", "1h", "7d", ["model=v3"]),
    )
    ref = cur = where.place(f"table:{name}")
    skip = ["group", "predicted"]
    exact = compare.drift(ref, cur, where, NOW, method="exact", skip=skip)
    pushed = compare.drift(ref, cur, where, NOW, skip=skip)
    assert pushed.method == "pushdown"
    assert (pushed.report.reference_rows, pushed.report.current_rows) == (ROWS, ROWS)
    _same_verdicts(exact, pushed)
    assert {c.column for c in exact.report.drifted} == {
        "amount",
        "latency_ms",
        "country",
        "few_levels",
        "score",
    }
    request = fairness.Request(groups=(("group",),), prediction="predicted")
    counted = compare.fairness_tables(ref, cur, where, NOW, compare.needed(request))
    whole = compare.fairness_tables(ref, cur, where, NOW, compare.needed(request), "exact")
    assert fairness.analyse(*counted[:2], request) == fairness.analyse(*whole[:2], request)
    previous = compare.Where(
        places=where.places, window=window("ts", "1h", "previous", ["model=v3"])
    )
    same = compare.drift(ref, cur, previous, NOW, skip=skip)
    assert same.report.drifted == []  # the hour before had drifted already
    with pytest.raises(SourceError, match="there is no column 'nope'"):
        bad = compare.Where(places=where.places, window=window("ts", "1h", "7d", ["nope=1"]))
        compare.drift(ref, cur, bad, NOW)
    # A value is bound, never spliced into the SQL: this one matches no row.
    sly = window("ts", "1h", "7d", ["model=v3' OR '1'='1"])
    with pytest.raises(DriftInputError, match="The reference table has no rows"):
        compare.drift(ref, cur, compare.Where(places=where.places, window=sly), NOW)
    listed_only = Places.parse(None, None, warehouses[backend], "gone", "30")
    with pytest.raises(SourceError, match="table:gone: the warehouse has no such table"):
        gone = compare.Where(places=listed_only).place("table:gone")
        compare.drift(gone, gone, compare.Where(places=listed_only), NOW)


def test_a_warehouse_that_stops_a_query_is_said_in_words() -> None:
    timeout = "canceling statement due to statement timeout"
    stopped = engines._refused(
        "table:preds", sa.exc.OperationalError("SELECT", {}, Exception(timeout)), 60
    )
    assert str(stopped) == (
        "table:preds: the query ran past 60 s and was stopped (INCIDENTBOT_WAREHOUSE_TIMEOUT "
        "sets the limit); try a shorter window."
    )
    refused = sa.exc.ProgrammingError("SELECT", {}, Exception("permission denied for table preds"))
    assert str(engines._refused("table:preds", refused, 60)) == (
        "table:preds: the engine refused the query (permission denied for table preds)."
    )


# --- an S3 bucket, through moto's S3 server on loopback -----------------------------------


@pytest.fixture(scope="module")
def bucket(tree: Path) -> Iterator[str]:
    """moto's S3 server on loopback (in this process: the same HTTP server as its
    ``moto_server`` command), with the Parquet trees uploaded under ``fraud/``."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        s3.create_bucket(Bucket="ml-logs")
        for path in [*(tree / "parquet").glob("ref/*/*"), *(tree / "parquet").glob("cur/*/*")]:
            s3.upload_file(str(path), "ml-logs", f"fraud/{path.relative_to(tree / 'parquet')}")
        yield url
    finally:
        server.stop()


def test_an_s3_prefix_is_streamed_and_only_allowed_buckets_are_read(
    bucket: str, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    where = compare.Where(places=Places.parse("ml-logs", bucket, None, None, "20"))
    found = compare.drift(
        where.place("s3://ml-logs/fraud/ref/"),
        where.place("s3://ml-logs/fraud/cur"),
        where,
        NOW,
        method="sketch",
    )
    local = compare.Where(data_dir=tree)
    exact = compare.drift(
        local.place("parquet/ref"), local.place("parquet/cur"), local, NOW, method="exact"
    )
    _same_verdicts(exact, found)
    with pytest.raises(SourceError, match="nothing at this address"):
        compare.drift(
            where.place("s3://ml-logs/fraud/none/"),
            where.place("s3://ml-logs/fraud/cur"),
            where,
            NOW,
        )


# --- the command line ----------------------------------------------------------------------


def test_the_command_line_prints_the_issues_json_for_a_table_window(
    warehouses: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INCIDENTBOT_WAREHOUSE_URL", warehouses["duckdb"])
    monkeypatch.setenv("INCIDENTBOT_WAREHOUSE_TABLES", "preds")
    command = ["drift", "table:preds", "--time-column", "ts", "--window", "1h"]
    command += ["--against", "7d", "--where", "model=v3", "--until", NOW.isoformat()]
    assert main([*command, "--skip", "group,predicted", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) >= {"columns", "drifted_share", "dataset_drift", "rows", "method"}
    assert printed["method"] == "pushdown"
    assert printed["rows"] == {"reference": ROWS, "current": ROWS}
    assert printed["bytes"] == {"reference": None, "current": None}  # not asked of a warehouse
    assert isinstance(printed["drifted_share"], float)
    assert isinstance(printed["dataset_drift"], bool)
    amount = printed["columns"]["amount"]
    assert {
        key: type(amount[key]) for key in ("kind", "test", "score", "threshold", "drifted")
    } == {
        "kind": str,
        "test": str,
        "score": float,
        "threshold": float,
        "drifted": bool,
    }
    assert (amount["kind"], amount["test"], amount["drifted"]) == ("num", "wasserstein", True)
    assert printed["columns"]["country"]["kind"] == "cat"
    fairness_command = ["fairness", "table:preds", "--group", "group", "--prediction", "predicted"]
    assert main([*fairness_command, *command[2:], "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["method"] == "pushdown" and figures["rows"] == {
        "reference": ROWS,
        "current": ROWS,
    }
    refused = [
        "fairness",
        "table:users",
        "--group",
        "g",
        "--prediction",
        "p",
        "--time-column",
        "ts",
    ]
    assert main(refused) == 2
    assert "add it to INCIDENTBOT_WAREHOUSE_TABLES" in capsys.readouterr().err


# --- the channel: /incident drift on a table's windows --------------------------------------


@pytest.fixture
def services_env(warehouses: dict[str, str]) -> dict[str, str]:
    return {
        "INCIDENTBOT_WAREHOUSE_URL": warehouses["duckdb"],
        "INCIDENTBOT_WAREHOUSE_TABLES": "preds",
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the bot's own: any
def test_the_channel_gets_a_tables_windows_compared_and_is_told_what_it_may_not_read(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-warehouse", members={"UBOTINCIDENT"})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Fraud scores", Severity.SEV2, "U1"))
        incident.channel_id = channel
        incident.provisioned_at = utcnow()
    said: list[str] = []
    args = parse_drift_args(
        "table:preds —time-column ts --window 1h --against 7d --where model=v3 "
        f"--until {NOW.isoformat()} skip=group,predicted"
    )
    drift_flow.start(services, channel, args, "U1", lambda **m: said.append(m["text"]))
    found = slack.wait_for(
        lambda: [m for m in slack.channels[channel].messages if m["text"].startswith("Drift:")],
        timeout=30,
        what="the findings",
    )
    assert found[0]["text"] == "Drift: 5 of 12 columns drifted — data set drift: no"
    shown = json.dumps(found[0]["blocks"])
    assert "1,500 rows" in shown and "pushdown: summaries computed by the warehouse" in shown
    with services.db.begin() as session:
        kept = session.scalars(
            sa.select(TimelineEvent.data).where(TimelineEvent.kind == EventKind.DRIFT_FOUND)
        ).one()
    # The rows compared, as options, so the investigator can ask for the same again.
    assert kept["rows"] == {
        "time_column": "ts",
        "window": "1h",
        "against": "7d",
        "where": ["model=v3"],
        "until": NOW.isoformat(),
    }
    asked = parse_fairness_args(
        "table:preds --group group --prediction predicted --time-column ts --window 1h "
        f"--against 7d --where model=v3 --until {NOW.isoformat()}"
    )
    queued: list[str] = []  # perhaps behind the drift analysis, still finishing
    fairness_flow.start(services, channel, asked, "U1", lambda **m: queued.append(m["text"]))
    judged = slack.wait_for(
        lambda: [m for m in slack.channels[channel].messages if m["text"].startswith("Fairness:")],
        timeout=30,
        what="the fairness findings",
    )
    assert "Counted in the warehouse (pushdown)" in json.dumps(judged[0]["blocks"])
    assert all(line.startswith("Your fairness analysis waits") for line in queued)
    refused = parse_drift_args("table:users --time-column ts")
    drift_flow.start(services, channel, refused, "U1", lambda **m: said.append(m["text"]))
    assert said == [
        "No drift analysis: table:users: the table users is not one this bot may read; add it "
        "to INCIDENTBOT_WAREHOUSE_TABLES."
    ]


# --- drills: a data inject kept as a partitioned dataset ------------------------------------


def test_a_drill_can_plant_its_drift_in_a_partitioned_dataset(tmp_path: Path) -> None:
    (tmp_path / "lake.toml").write_text(
        'title = "Lake"\nseverity = "sev2"\n[[inject]]\nkind = "data"\nat = "1m"\n'
        'features = ["amount", "channel"]\nlayout = "partitioned"\nrows = 1500\n'
    )
    scenario = scenarios.find("lake", tmp_path)
    names = scenarios.write_data(
        scenario, scenario.injects[0], tmp_path / "data" / "drills", "inc-4-1"
    )
    assert names == ("inc-4-1/window=reference/", "inc-4-1/window=current/")
    where = compare.Where(data_dir=tmp_path / "data")
    found = compare.drift(
        *(where.place(f"drills/{name}") for name in names), where, NOW, method="sketch"
    )
    assert {c.column for c in found.report.drifted} == {"amount", "channel"}
    (tmp_path / "lake.toml").write_text(
        'title = "Lake"\nseverity = "sev2"\n[[inject]]\nkind = "data"\nlayout = "table"\n'
    )
    with pytest.raises(scenarios.ScenarioError, match="layout is one of files, partitioned"):
        scenarios.find("lake", tmp_path)


def test_a_files_time_window_chooses_its_rows_and_is_not_a_column(tmp_path: Path) -> None:
    """One CSV file with --time-column went the whole-file path: both windows were every
    row (and the time column itself was compared), so a change in the last hour read as
    no drift at all."""
    end = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    minutes = pd.date_range(end - timedelta(hours=2), end, freq="1min", inclusive="left")
    rng = np.random.default_rng(7)
    amount = np.concatenate([rng.normal(100, 5, 60), rng.normal(160, 5, 60)])
    group = ["a", "b"] * 60
    predicted = [1] * 60 + [0, 1] * 30
    pd.DataFrame({"ts": minutes, "amount": amount, "group": group, "predicted": predicted}).to_csv(
        tmp_path / "events.csv", index=False
    )
    where = compare.Where(data_dir=tmp_path, window=window("ts", "1h", "previous"))
    events = where.place("events.csv")
    found = compare.drift(events, events, where, end, skip=["group", "predicted"])
    assert (found.report.reference_rows, found.report.current_rows) == (60, 60)
    assert [c.column for c in found.report.columns] == ["amount"]
    assert [c.column for c in found.report.drifted] == ["amount"]
    request = fairness.Request(groups=(("group",),), prediction="predicted")
    ref, cur, _ = compare.fairness_tables(events, events, where, end, compare.needed(request))
    assert (len(ref), len(cur)) == (60, 60)
    (tmp_path / "words.csv").write_text("ts,amount\nsoon,1\nlater,2\n")
    with pytest.raises(SourceError, match="'ts' \\(--time-column\\) holds no times"):
        words = where.place("words.csv")
        compare.drift(words, words, where, end)
