"""Evidence names the data each finding judged: drift and fairness keep a SHA-256 of
what they read (a file's bytes, as ``sha256sum`` prints it; for streamed sources, the
statements run and the summaries returned), and the evidence record carries it."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import drift as drift_flow
from bot.app import fairness as fairness_flow
from bot.app import reporting
from bot.app.services import Services
from bot.diagnosis.sources import compare
from bot.diagnosis.sources.places import window
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.reporting import evidence
from bot.sandbox import SlackStandIn
from bot.slack.listeners.commands.parsing import parse_drift_args, parse_fairness_args
from bot.store.models import utcnow
from tests.conftest import ALICE
from tests.diagnosis import fairness_data

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("digests")
    ref, cur = fairness_data.windows(600, 4, seed=3)
    ref.to_csv(root / "ref.csv", index=False)
    (root / "cur.csv.gz").write_bytes(gzip.compress(cur.to_csv(index=False).encode()))
    for name, frame in (("a", ref), ("b", cur)):
        (root / "parts" / name).mkdir(parents=True)
        frame.iloc[::2].to_csv(root / "parts" / name / "0.csv", index=False)
        frame.iloc[1::2].to_csv(root / "parts" / name / "1.csv", index=False)
    return root


@pytest.fixture
def services_env(data: Path) -> dict[str, str]:
    return {
        "INCIDENTBOT_REPORTING": "eu-ai-act",
        "INCIDENTBOT_PROVIDER_NAME": "Acme Payments",
        "INCIDENTBOT_DATA_DIR": str(data),
    }


def test_a_file_read_whole_is_digested_as_its_bytes(data: Path) -> None:
    where = compare.Where(data_dir=data)
    ref, cur = where.place("ref.csv"), where.place("cur.csv.gz")
    expected = {"reference": sha256(data / "ref.csv"), "current": sha256(data / "cur.csv.gz")}
    assert compare.drift(ref, cur, where, NOW, method="exact").digests == expected
    read: dict[str, str] = {}
    compare.fairness_tables(ref, cur, where, NOW, ["group", "predicted"], digests=read)
    assert read == expected


def test_a_streamed_source_is_digested_by_what_it_was_asked_and_answered(data: Path) -> None:
    where = compare.Where(data_dir=data)
    a, b = where.place("parts/a/*.csv"), where.place("parts/b/*.csv")
    first = compare.drift(a, b, where, NOW, method="sketch")
    assert first.method == "sketch"
    assert first.digests == compare.drift(a, b, where, NOW, method="sketch").digests
    assert all(len(d) == 64 for d in first.digests.values())
    # Steady from run to run (an engine's row order and last float bits aside); another
    # side, or other rows, read otherwise.
    assert first.digests["current"] != first.digests["reference"]
    # Other rows of the same files (--where) read otherwise.
    web = compare.Where(data_dir=data, window=window(None, None, None, ["band=51+"]))
    counted: dict[str, str] = {}
    compare.fairness_tables(a, b, web, NOW, ["group", "predicted"], digests=counted)
    assert len(counted) == 2 and counted["reference"] != first.digests["reference"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the bot's own: any
def test_the_evidence_record_carries_each_findings_digest_of_what_it_read(
    services: Services, slack: SlackStandIn, data: Path
) -> None:
    slack.add_user(ALICE, "alice")
    channel = slack.add_channel("inc-digests", members={"UBOTINCIDENT", ALICE})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer drifted", Severity.SEV1, ALICE))
        incident.channel_id, incident.provisioned_at = channel, utcnow()
        incident_id = incident.id
    said: list[str] = []

    def reply(**message: Any) -> None:
        said.append(str(message.get("text")))

    def posted(start: str) -> list[Any]:
        return [m for m in slack.channels[channel].messages if m["text"].startswith(start)]

    drift_flow.start(services, channel, parse_drift_args("ref.csv cur.csv.gz"), ALICE, reply)
    slack.wait_for(lambda: posted("Drift:"), timeout=30, what="the drift findings")
    asked = parse_fairness_args("ref.csv cur.csv.gz --group group --prediction predicted")
    fairness_flow.start(services, channel, asked, ALICE, reply)
    slack.wait_for(lambda: posted("Fairness:"), timeout=30, what="the fairness findings")

    change = "rolling back fraud-scorer from v7 to v6"
    kept = reporting.evidence_first(services, channel, incident_id, ALICE, change, None)
    assert kept is not None
    with services.db.begin() as session:
        (record,) = evidence.records(session, incident_id)
        findings = record.content["findings"]
    expected = {"reference": sha256(data / "ref.csv"), "current": sha256(data / "cur.csv.gz")}
    assert [f["kind"] for f in findings] == ["drift_found", "fairness_found"]
    assert all(f["read_sha256"] == expected for f in findings)
    assert all(len(f["facts_sha256"]) == 64 for f in findings)
