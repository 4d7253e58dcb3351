"""Evidence before change, through the team's lever as a person pulls it: on a SEV1 nobody
assessed yet, the evidence is preserved and said before the lever is called."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import contain
from bot.app.services import Services
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.reporting.evidence import records
from bot.sandbox import SlackStandIn
from bot.store.models import utcnow
from tests.conftest import ALICE

LEVER = """
[[lever]]
name = "rules-fallback"
title = "Fall back to rules"
confirm = "Rules score every payment."
[lever.request]
url = "http://127.0.0.1:9/flags"
body = { on = true }
"""


@pytest.fixture
def services_env(tmp_path: Path) -> dict[str, str]:
    levers = tmp_path / "containment.toml"
    levers.write_text(LEVER, encoding="utf-8")
    return {"INCIDENTBOT_REPORTING": "eu-ai-act", "INCIDENTBOT_CONTAINMENT_FILE": str(levers)}


def test_a_lever_on_a_sev1_preserves_the_evidence_first(
    services: Services, slack: SlackStandIn
) -> None:
    slack.add_user(ALICE, "alice")
    channel = slack.add_channel("inc-lever", members={"UBOTINCIDENT", ALICE})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer flags payments", Severity.SEV1, ALICE))
        incident.channel_id, incident.provisioned_at = channel, utcnow()
        incident_id = incident.id
    said: list[Any] = []
    contain.pull(
        services, channel, "rules-fallback", "precision at 0.4", ALICE, lambda **m: said.append(m)
    )

    posted = [m["text"] for m in slack.channels[channel].public()]
    first = next(i for i, t in enumerate(posted) if t.startswith(":lock: Evidence preserved"))
    lever = next(i for i, t in enumerate(posted) if t.startswith("Fall back to rules"))
    assert first < lever and "running Fall back to rules" in posted[first]
    assert "the registry could not be read" in posted[first]
    with services.db.begin() as session:
        (kept,) = records(session, incident_id)
        assert kept.content["registry_not_read"].startswith("no model registry is set up")
        assert posted[first].startswith(f":lock: Evidence preserved (sha256 {kept.digest[:4]}…)")
