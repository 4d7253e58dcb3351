"""The pinned summary says what the public was told: the status page's line follows each
publication (the summary showed nothing of it, so the channel could not see at a glance
whether customers had been told anything)."""

from __future__ import annotations

import pytest

from bot.app import effects
from bot.app.public_line import NOTHING_YET
from bot.app.services import Services
from bot.sandbox import SlackStandIn
from bot.sandbox.reading import message_text, shown
from bot.store.models import Incident
from tests.statuspage.conftest import EXAMPLE
from tests.statuspage.test_publishing import declare, publish


@pytest.fixture
def services_env() -> dict[str, str]:
    return {"INCIDENTBOT_STATUS_PAGE": str(EXAMPLE)}


def pinned(services: Services, slack: SlackStandIn, incident_id: int) -> str:
    """The pinned summary as the channel reads it now."""
    effects.drain(services, incident_id)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.channel_id and incident.summary_ts
        channel, ts = incident.channel_id, incident.summary_ts
    (summary,) = [m for m in slack.channels[channel].messages if m.get("ts") == ts]
    return shown(message_text(summary))


def test_the_pinned_summary_follows_the_public_story(
    services: Services, slack: SlackStandIn
) -> None:
    incident = declare(services)
    assert "Status page: nothing published yet" in pinned(services, slack, incident.id)
    told = publish(
        services,
        incident,
        '--public --status identified --title "Card payments are slow" Some card payments '
        "are declined; we are on it.",
    )
    assert told.texts == []
    after = pinned(services, slack, incident.id)
    assert "Status page: Identified, “Card payments are slow”, last told" in after
    assert "nothing published yet" not in after


def test_nothing_is_offered_where_nothing_may_be_published(
    services: Services, slack: SlackStandIn
) -> None:
    private = declare(services, private=True)
    assert "Status page" not in pinned(services, slack, private.id)
    assert NOTHING_YET.startswith(":globe_with_meridians: *Status page:* nothing published")
