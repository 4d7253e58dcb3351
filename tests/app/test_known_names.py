"""Exports read outside Slack name people as Slack does: the names the bot learned (on
resolution, and whenever it asks Slack for a document) are remembered, and the command
line's post-mortem shows them, not IDs."""

from __future__ import annotations

from bot.app import effects, resolution
from bot.app.open_incident import declare_and_open
from bot.app.services import Services
from bot.incidents.declare import Declaration
from bot.incidents.severity import Severity
from bot.store.models import Incident
from tests.conftest import ALICE, BOB
from tests.support import run_cli


def test_a_resolved_incidents_people_are_named_in_the_command_lines_export(
    services: Services, database_url: str
) -> None:
    incident_id = declare_and_open(
        services, Declaration("Ranker CTR down 15%", Severity.SEV2, BOB), lambda **_: None
    )
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.channel_id is not None
        channel = incident.channel_id
    before = run_cli("postmortem", str(incident_id), DATABASE_URL=database_url)
    assert f"@{BOB}" in before.stdout  # nothing learned yet, and no Slack to ask
    resolution.resolve_incident(services, channel, BOB, "rolled back", lambda **_: None)
    effects.drain(services, incident_id)
    exported = run_cli("postmortem", str(incident_id), DATABASE_URL=database_url)
    assert exported.returncode == 0, exported.stderr
    assert "@bob" in exported.stdout
    assert BOB not in exported.stdout and ALICE not in exported.stdout
