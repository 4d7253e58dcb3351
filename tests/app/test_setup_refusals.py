"""A set-up step Slack refuses for good is skipped and said; the rest of the set-up goes on.

Before, a refused ``pins.add`` (the app lost ``pins:write``) made the whole set-up retry
invite, topic and pin every sweep, for ever: no triage card, no announcement, no word
in the channel, and nothing listed as dead.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.app import effects
from bot.app.channel_setup import ProvisioningFailed, SetupRefused
from bot.app.effect_kinds import OpenChannel
from bot.app.open_incident import declare_and_open
from bot.app.services import Services
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.outbox import admin
from bot.runtime import metrics
from bot.sandbox import SlackStandIn
from bot.sandbox.acting import BOT_USER
from bot.store.models import Incident, Reminder, SlackEffect
from tests.conftest import ALICE


def _declared(services: Services, by: str | None = ALICE) -> int:
    with services.db.begin() as session:
        return declare(session, Declaration("Scorer latency", Severity.SEV2, by)).id


def _stored(services: Services, incident_id: int) -> Incident:
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        return incident


def _dead(services: Services) -> list[tuple[str, str | None]]:
    with services.db.begin() as session:
        return [
            (row.kind, row.error_code)
            for row in session.scalars(
                select(SlackEffect).where(
                    SlackEffect.dead_at.is_not(None), SlackEffect.done_at.is_(None)
                )
            )
        ]


def test_a_pin_refused_for_good_is_skipped_told_and_retried_by_the_operator(
    services: Services, slack: SlackStandIn
) -> None:
    broadcast = slack.add_channel("incidents", members={BOT_USER})
    services.settings = replace(services.settings, broadcast_channel=broadcast)
    services.provisioner.settings = services.settings
    slack.add_user(ALICE, "alice")
    slack.revoke_scope("pins:write")
    incident_id = _declared(services)

    opened = services.provisioner.run(incident_id)
    effects.drain(services, incident_id)

    # The rest of the set-up happened: summary, triage card, announcement, first nudge.
    assert opened.provisioned_at is not None and opened.triage_ts and opened.announced_ts
    assert len(slack.channels[broadcast].messages) == 1
    with services.db.begin() as session:
        assert session.scalar(select(Reminder.id).where(Reminder.incident_id == incident_id))
    channel = slack.channels[opened.channel_id]
    assert channel.pins == []
    [notice] = [m["text"] for m in channel.messages if m["text"].startswith(":warning:")]
    assert notice.startswith(
        ":warning: Could not pin the incident's summary: the app lacks a permission; "
        "reinstall it from `incidentbot manifest` (it needs pins:write)."
    )
    [(dead_id, kind)] = [(r.id, r.kind) for r in admin.listing(services.db, dead=True)]
    assert kind == "pin_summary"
    assert f"`incidentbot outbox retry {dead_id}`" in notice
    scraped = metrics.render(services.db).decode()
    assert 'incidentbot_outbox_dead{error="missing_scope",kind="pin_summary"} 1.0' in scraped

    # A later sweep does not ask again: refused once is refused.
    assert services.provisioner.sweep() == 0
    assert len(slack.calls_to("pins.add")) == 1

    # The app is reinstalled with the scope; the operator retries the pin.
    slack.revoked.clear()
    assert admin.retry(services.db, dead_id)
    effects.drain(services, incident_id)
    assert channel.pins == [opened.summary_ts]
    assert _dead(services) == []


def test_a_topic_a_workspace_setting_forbids_skips_only_that_step(
    services: Services, slack: SlackStandIn
) -> None:
    slack.add_user(ALICE, "alice")
    slack.fail_next("conversations.setTopic", status=200, error="restricted_action")
    incident_id = _declared(services)
    opened = services.provisioner.run(incident_id)
    effects.drain(services, incident_id)
    assert opened.provisioned_at is not None
    channel = slack.channels[opened.channel_id]
    texts = [m["text"] for m in channel.messages]
    assert any(t.startswith(":warning: Could not set this channel's topic") for t in texts)
    assert channel.pins == [opened.summary_ts]
    assert _dead(services) == [("topic", "restricted_action")]


def test_a_passing_failure_still_resumes_the_whole_set_up(
    services: Services, slack: SlackStandIn
) -> None:
    slack.add_user(ALICE, "alice")
    slack.fail_next("pins.add", status=503)
    incident_id = _declared(services)
    with pytest.raises(ProvisioningFailed):
        services.provisioner.run(incident_id)
    assert _stored(services, incident_id).provisioned_at is None
    assert services.provisioner.sweep() == 1
    opened = _stored(services, incident_id)
    assert slack.channels[opened.channel_id].pins == [opened.summary_ts]
    assert _dead(services) == []


def test_a_channel_slack_will_not_create_tells_the_declarer_and_waits_for_the_operator(
    services: Services, slack: SlackStandIn
) -> None:
    slack.add_user(ALICE, "alice")
    slack.revoke_scope("channels:manage")
    incident_id = _declared(services)
    with pytest.raises(SetupRefused, match="the app lacks a permission"):
        services.provisioner.run(incident_id)

    [told] = [m["text"] for m in slack.direct_messages(ALICE)]
    [row] = admin.listing(services.db, dead=True)
    assert row.kind == OpenChannel.kind
    assert told.startswith(
        f":warning: INC-{incident_id} is declared and saved, but Slack refused to create its "
        "channel: the app lacks a permission"
    )
    assert f"`incidentbot outbox retry {row.id}`" in told
    # Nobody asks Slack again on their own.
    assert services.provisioner.sweep() == 0
    assert len(slack.calls_to("conversations.create")) == 1

    slack.revoked.clear()
    assert admin.retry(services.db, row.id)
    assert services.provisioner.sweep() == 1
    assert _stored(services, incident_id).channel_id is not None
    assert _dead(services) == [] and admin.listing(services.db, dead=False) == []
    assert len(slack.direct_messages(ALICE)) == 1  # told once


def test_an_alerts_incident_refused_a_channel_is_said_in_the_broadcast_channel(
    services: Services, slack: SlackStandIn
) -> None:
    broadcast = slack.add_channel("incidents", members={BOT_USER})
    services.settings = replace(services.settings, broadcast_channel=broadcast)
    services.provisioner.settings = services.settings
    slack.revoke_scope("channels:manage")
    incident_id = _declared(services, by=None)
    with pytest.raises(SetupRefused):
        services.provisioner.run(incident_id)
    [said] = [m["text"] for m in slack.channels[broadcast].messages]
    assert "Slack refused to create its channel" in said


def test_declaring_where_slack_refuses_channels_says_why_once_and_promises_nothing(
    services: Services, slack: SlackStandIn
) -> None:
    slack.add_user(ALICE, "alice")
    slack.revoke_scope("channels:manage")
    replies: list[dict[str, object]] = []
    declare_and_open(
        services, Declaration("Scorer latency", Severity.SEV2, ALICE), lambda **m: replies.append(m)
    )
    assert replies == []  # no "I will keep trying": nothing is tried until an operator says
    [told] = [m["text"] for m in slack.direct_messages(ALICE)]
    assert "Slack refused to create its channel" in told


def test_a_drill_slack_refuses_a_channel_promises_nothing_and_says_why(
    services: Services, slack: SlackStandIn
) -> None:
    from bot.app import drills

    slack.add_user(ALICE, "alice")
    slack.revoke_scope("channels:manage")
    replies: list[dict[str, object]] = []
    drills.start(services, "fraud-false-positives", ALICE, lambda **m: replies.append(m))
    assert replies == []  # not "its channel will open": nothing is tried until a retry
    [told] = [m["text"] for m in slack.direct_messages(ALICE)]
    assert "Slack refused to create its channel" in told


def test_making_private_where_slack_refuses_the_new_channel_promises_nothing(
    services: Services, slack: SlackStandIn
) -> None:
    from bot.app import privacy

    slack.add_user(ALICE, "alice")
    replies: list[dict[str, object]] = []
    incident_id = declare_and_open(
        services, Declaration("Prompts leak", Severity.SEV2, ALICE), lambda **m: replies.append(m)
    )
    channel = _stored(services, incident_id).channel_id
    assert channel is not None
    replies.clear()
    slack.revoke_scope("channels:manage")
    privacy.make_private(services, channel, ALICE, lambda **m: replies.append(m))
    assert replies == []  # not "I will keep trying": nothing is tried until a retry
    [told] = [m["text"] for m in slack.direct_messages(ALICE)]
    assert "Slack refused to create its channel" in told
