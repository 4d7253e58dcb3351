"""The same paging through the Opsgenie-shaped alert API (Opsgenie, then Jira Service
Management Ops): a page is an alert with the incident's dedup key as its alias, resolved
by closing it; the escalation ladder is the team's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.app import nudges, resolution
from bot.app.open_incident import declare_and_open
from bot.app.services import Services
from bot.incidents.declare import Declaration
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.store.models import Incident
from tests.conftest import ALICE, BOB, CARA
from tests.pager_standins.opsgenie import KEY, OpsgenieStandIn

ONCALL = "U0ONCALL1"


@pytest.fixture
def genie() -> Iterator[OpsgenieStandIn]:
    with OpsgenieStandIn() as standin:
        standin.schedules["ml-platform_schedule"] = ["olive@example.com"]
        yield standin


@pytest.fixture
def services_env(genie: OpsgenieStandIn, slack: SlackStandIn) -> dict[str, str]:
    slack.add_user(ONCALL, "olive", email="olive@example.com")
    group = slack.add_usergroup("S0LEADS01", {BOB, CARA})
    return {
        "INCIDENTBOT_OPSGENIE_KEY": KEY,
        "INCIDENTBOT_OPSGENIE_URL": genie.url,
        "INCIDENTBOT_OPSGENIE_TEAM": "ml-platform",
        "INCIDENTBOT_ESCALATION_LADDER": group,
    }


def said(**message: Any) -> None:
    """A reply nobody reads."""


def test_opsgenie_pages_once_brings_the_on_call_in_escalates_by_the_ladder_and_closes(
    services: Services, slack: SlackStandIn, genie: OpsgenieStandIn
) -> None:
    incident_id = declare_and_open(
        services, Declaration("Ranker CTR down 15%", Severity.SEV1, ALICE), said
    )
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        session.expunge(incident)
    (alert,) = genie.alerts.values()
    assert alert.alias.startswith(f"incidentbot:{incident.reference}:")
    assert alert.priority == "P1" and alert.responders == [{"name": "ml-platform", "type": "team"}]
    channel = slack.channels[incident.channel_id]
    assert channel.saying("through Opsgenie")
    assert ONCALL in channel.members

    nudges.tick(services, incident.declared_at + timedelta(minutes=6))
    assert {BOB, CARA} <= channel.members  # the ladder's next level: a user group
    assert channel.saying("escalating to level 2 (<!subteam^S0LEADS01>)")
    assert alert.count == 1  # escalating is not paging again

    resolution.resolve_incident(services, incident.channel_id, ALICE, "fixed", said)
    assert alert.status == "closed"
