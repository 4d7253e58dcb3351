"""The declare use case as the Slack adapter runs it: store, then set up Slack, then report."""

from __future__ import annotations

from bot.app import effects
from bot.app.channel_setup import ProvisioningFailed, SetupRefused
from bot.app.services import Services
from bot.incidents.declare import Declaration, declare
from bot.outbox import received
from bot.slack.blocks.text import channel_link, escape, truncate
from bot.slack.webapi.replies import Reply


def declare_and_open(services: Services, declaration: Declaration, reply: Reply) -> int:
    """Commit the incident, give it a channel, and tell the declarer how it went."""
    with services.db.begin() as session:
        incident = declare(session, declaration)
        received.finish_current(session)  # a replay after a crash must not declare twice
        incident_id, reference = incident.id, incident.reference
    try:
        opened = services.provisioner.run(incident_id)
    except SetupRefused:
        return incident_id  # the set-up told the declarer why, and what to do
    except ProvisioningFailed as exc:
        reply(
            text=(
                f"{reference} is declared and saved, but Slack did not let me finish "
                f"setting up its channel ({truncate(escape(str(exc)), 200)}). I will keep trying; "
                "`/incident list` shows it meanwhile."
            )
        )
        return incident_id
    reply(
        text=(
            f"Declared {reference} ({declaration.severity.label}): "
            f"{channel_link(opened.channel_id, opened.channel_name)}"
        )
    )
    effects.drain(services, incident_id)  # what the set-up owes, the model's card among it
    return incident_id
