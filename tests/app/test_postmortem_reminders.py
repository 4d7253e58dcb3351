"""Post-mortem reminders reach the Commander when due, and the day before."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.app import nudges
from bot.app.services import Services
from bot.incidents import reminders, timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.resolve import resolve
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.store.models import Incident, Reminder, RoleAssignment, utcnow
from tests.conftest import CARA
from tests.incidents.helpers import steering


def resolved_incident(services: Services, channel: str, severity: Severity) -> int:
    with services.db.begin() as session:
        incident = declare(session, Declaration("Credit model bias", severity, "U1"))
        incident.channel_id = channel
        incident.provisioned_at = utcnow()  # set up
        incident.roles.append(RoleAssignment(role="commander", user_id=CARA))
        resolve(session, incident, **steering("U1"))
        reminders.resolved(session, incident, utcnow())
        return incident.id


def fall_due(services: Services, incident_id: int, kind: str) -> None:
    with services.db.begin() as session:
        session.execute(
            update(Reminder)
            .where(Reminder.incident_id == incident_id, Reminder.kind == kind)
            .values(due_at=utcnow() - timedelta(seconds=1))
        )


def test_the_commander_hears_the_day_before_and_on_the_day(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-bias", members={"UBOTINCIDENT", CARA})
    incident_id = resolved_incident(services, channel, Severity.SEV1)
    assert nudges.tick(services) == 0  # nothing due yet
    fall_due(services, incident_id, reminders.POSTMORTEM_EVE)
    assert nudges.tick(services) == 1
    fall_due(services, incident_id, reminders.POSTMORTEM_DUE)
    assert nudges.tick(services) == 1
    told = [m["text"] for m in slack.channels[channel].messages if m.get("ephemeral_to") == CARA]
    assert len(told) == 2
    assert "post-mortem for INC-1 (SEV1, resolved" in told[0] and "is due tomorrow" in told[0]
    assert "is due today" in told[1]
    assert nudges.tick(services) == 0  # each once


def test_no_reminder_once_the_post_mortem_exists(services: Services, slack: SlackStandIn) -> None:
    channel = slack.add_channel("inc-done", members={"UBOTINCIDENT", CARA})
    incident_id = resolved_incident(services, channel, Severity.SEV2)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        timeline.record(session, incident, "postmortem_published", "Draft uploaded", draft=True)
    fall_due(services, incident_id, reminders.POSTMORTEM_EVE)
    assert nudges.tick(services) == 1
    assert len(slack.channels[channel].messages) == 1  # a draft is not the post-mortem
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        timeline.record(session, incident, "postmortem_published", "Uploaded", draft=False)
    fall_due(services, incident_id, reminders.POSTMORTEM_DUE)
    assert nudges.tick(services) == 1  # claimed, and nothing said
    assert len(slack.channels[channel].messages) == 1
