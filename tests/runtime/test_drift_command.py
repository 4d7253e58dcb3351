"""``incidentbot drift REF CUR``: the channel's analysis on the command line, reading the
files the person running it names, wherever they are."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bot.diagnosis.drift import analyse
from tests.diagnosis.data import table
from tests.support import run_cli


def test_the_json_has_each_columns_test_and_the_data_sets_verdict(tmp_path: Path) -> None:
    reference, current = table(3000, shifted=False, seed=1), table(3000, shifted=True, seed=2)
    reference.to_csv(tmp_path / "march.csv", index=False)
    current.to_parquet(tmp_path / "today.parquet")
    answer = run_cli(
        "drift",
        str(tmp_path / "march.csv"),  # any folder: no INCIDENTBOT_DATA_DIR needed
        str(tmp_path / "today.parquet"),
        "--prediction",
        "score",
        "--json",
    )
    assert answer.returncode == 0, answer.stderr
    printed = json.loads(answer.stdout)
    expected = analyse(reference, current, prediction="score")
    assert printed["dataset_drift"] is expected.dataset_drift
    assert printed["rows"] == {"reference": 3000, "current": 3000}
    assert printed["method"] == "exact"
    assert printed["drifted_share"] == round(len(expected.drifted) / len(expected.columns), 6)
    for column in expected.columns:
        shown = printed["columns"][column.column]
        assert column.outcome is not None
        assert shown["test"] == str(column.outcome.method)
        assert shown["score"] == pytest.approx(column.outcome.score, rel=1e-9)  # CSV round trip
        assert shown["drifted"] is column.drifted
        assert set(shown) >= {"kind", "test", "score", "threshold", "drifted"}
    assert printed["columns"]["score"]["drifted"] is True  # the prediction, apart
    # What was compared, as the evidence record names it: each file's `sha256sum`.
    assert printed["read_sha256"] == {
        "reference": hashlib.sha256((tmp_path / "march.csv").read_bytes()).hexdigest(),
        "current": hashlib.sha256((tmp_path / "today.parquet").read_bytes()).hexdigest(),
    }


def test_the_table_reads_as_the_channel_does_and_bad_input_is_a_sentence(
    tmp_path: Path,
) -> None:
    table(2000, shifted=False, seed=1).to_csv(tmp_path / "ref.csv", index=False)
    table(2000, shifted=True, seed=2).to_csv(tmp_path / "cur.csv", index=False)
    shown = run_cli("drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Drift: ") and "data set drift:" in shown.stdout
    for side, name in (("Reference read:", "ref.csv"), ("Current read:  ", "cur.csv")):
        sha = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert f"\n{side} sha256 {sha}\n" in shown.stdout, shown.stdout
    for args, said in (
        ((str(tmp_path / "nope.csv"), str(tmp_path / "cur.csv")), "nope.csv: there is no such"),
        ((str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"), "--target", "x"), "target"),
        ((str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"), "--skip", "zz"), "'zz' to skip"),
    ):
        refused = run_cli("drift", *args)
        assert refused.returncode == 2 and said in refused.stderr, refused.stderr
        assert refused.stdout == "" and "Traceback" not in refused.stderr


def test_fairness_on_the_command_line_reads_local_files_as_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's own `incidentbot fairness march.parquet today.csv …` failed with "this
    bot reads no local files": on the command line the person running it owns the files.
    Like `incidentbot drift`, it ends with the SHA-256 of what each side read."""
    from bot.runtime import cli
    from tests.diagnosis.fairness_data import windows

    reference, current = windows(2000, 3, seed=5, shifted=1)
    reference.to_parquet(tmp_path / "march.parquet")
    current.to_csv(tmp_path / "today.csv", index=False)
    typed = [
        "fairness",
        str(tmp_path / "march.parquet"),
        str(tmp_path / "today.csv"),
        "--group",
        "group",
        "--prediction",
        "predicted",
    ]
    answer = run_cli(*typed)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("Fairness of predicted")
    sha = {
        side: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        for side, name in (("reference", "march.parquet"), ("current", "today.csv"))
    }
    assert answer.stdout.endswith(
        f"\n\nReference read: sha256 {sha['reference']}\nCurrent read:   sha256 {sha['current']}\n"
    ), answer.stdout[-400:]
    # --json, in this process (the command line's own entry point): the same digests
    # under the key `incidentbot drift --json` and the evidence record use.
    assert cli.main([*typed, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["read_sha256"] == sha
