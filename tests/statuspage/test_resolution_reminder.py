"""A resolved incident whose public story still reads as open is offered the public
resolution again: the offer was made once, and when nobody clicked, the status page told
customers of an outage that had ended, for as long as nobody looked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import nudges, resolution, status_page
from bot.app.services import Services
from bot.sandbox import SlackStandIn
from bot.sandbox.reading import message_text
from bot.store.models import Incident
from tests.conftest import ALICE, CARA
from tests.statuspage.conftest import EXAMPLE
from tests.statuspage.test_publishing import (
    Replies,
    declare,
    publish,
    published_then_resolved,
)


@pytest.fixture
def services_env() -> dict[str, str]:
    return {"INCIDENTBOT_STATUS_PAGE": str(EXAMPLE)}


def offers(slack: SlackStandIn, channel: str) -> list[str]:
    return [
        m["text"]
        for m in slack.channels[channel].messages
        if "Publish the resolution" in message_text(m)
    ]


def test_an_unconfirmed_public_resolution_is_offered_again_three_times_at_most(
    services: Services, slack: SlackStandIn
) -> None:
    incident = published_then_resolved(services)
    assert incident.channel_id
    with services.db.begin() as session:
        stored = session.get(Incident, incident.id)
        assert stored is not None and stored.resolved_at is not None
        resolved_at = stored.resolved_at
    assert len(offers(slack, incident.channel_id)) == 1
    assert nudges.tick(services, resolved_at + timedelta(minutes=29)) == 0
    for n in (1, 2, 3):
        assert nudges.tick(services, resolved_at + timedelta(minutes=30 * n + 1)) == 1
    assert nudges.tick(services, resolved_at + timedelta(hours=6)) == 0  # three at most
    said = offers(slack, incident.channel_id)
    assert said[1:] == [
        f"INC-{incident.id} was resolved {since} ago. The status page still shows "
        "Card payments: partial outage as investigating."
        for since in ("31 min", "1 h 1 min", "1 h 31 min")
    ]
    # What the channel reads is the message's blocks: the reminder says so there too.
    shown = [
        m["blocks"][0]["text"]["text"]
        for m in slack.channels[incident.channel_id].messages
        if "Publish the resolution" in message_text(m)
    ]
    assert shown[1].startswith(
        f":globe_with_meridians: INC-{incident.id} was resolved 31 min ago. <@{CARA}>, as "
        "Comms Lead: the status page still shows *Card payments: partial outage* as unresolved."
    )
    assert shown[0].startswith(f":globe_with_meridians: <@{CARA}>, as Comms Lead:")


def test_no_reminder_once_the_resolution_is_published(
    services: Services, slack: SlackStandIn
) -> None:
    incident = declare(services)
    assert publish(services, incident, "--public Card payments fail for some.").texts == []
    assert incident.channel_id
    resolution.resolve_incident(services, incident.channel_id, ALICE, "Rolled back.", Replies())
    status_page.publish_resolution(services, incident.channel_id, ALICE, Replies())
    with services.db.begin() as session:
        stored = session.get(Incident, incident.id)
        assert stored is not None and stored.resolved_at is not None
        later = stored.resolved_at + timedelta(minutes=31)
    assert nudges.tick(services, later) == 1  # the reminder fell due, and said nothing
    assert len(offers(slack, incident.channel_id)) == 1
    assert nudges.tick(services, later + timedelta(hours=6)) == 0  # and none follows
