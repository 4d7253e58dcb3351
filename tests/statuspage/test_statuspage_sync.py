"""Publications copied to Atlassian Statuspage through the outbox, against a stand-in
that enforces its API's rules: one incident created, then updated through to resolved
with its components; a 5xx and a rate limit retried; a refusal final and told in the
channel in Statuspage's words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from bot.app import effects, status_page
from bot.app.effect_kinds import SyncStatuspage
from bot.app.services import Services
from bot.sandbox import SlackStandIn
from bot.sandbox.reading import message_text
from bot.store.models import PublicIncident, SlackEffect
from tests.conftest import ALICE
from tests.statuspage.conftest import EXAMPLE
from tests.statuspage.standin import KEY, PAGE_ID, StatuspageStandIn
from tests.statuspage.test_publishing import Replies, declare, publish


@pytest.fixture
def statuspage() -> Iterator[StatuspageStandIn]:
    with StatuspageStandIn(limit=3) as standin:
        yield standin


@pytest.fixture
def services_env(statuspage: StatuspageStandIn) -> dict[str, str]:
    return {
        "INCIDENTBOT_STATUS_PAGE": str(EXAMPLE),
        "INCIDENTBOT_STATUSPAGE_TOKEN": KEY,
        "INCIDENTBOT_STATUSPAGE_PAGE_ID": PAGE_ID,
        "INCIDENTBOT_STATUSPAGE_URL": statuspage.url,
    }


def _due_now(services: Services, incident_id: int) -> None:
    with services.db.begin() as session:
        session.execute(update(SlackEffect).values(due_at=datetime.now(UTC)))
    effects.drain(services, incident_id)


def test_one_incident_goes_investigating_to_resolved_with_its_components(
    services: Services, slack: SlackStandIn, statuspage: StatuspageStandIn
) -> None:
    incident = declare(services)
    statuspage.fail_next(503, {"error": "Service Unavailable"})  # retried, not lost
    publish(services, incident, "--public Some card payments are declined.")
    assert statuspage.incidents == {}
    _due_now(services, incident.id)
    publish(services, incident, "--public --status identified We found the cause.")
    assert incident.channel_id
    # The stand-in's rate limit (3 a minute here; the creation's retry looked for it first)
    # holds the resolution back: it is retried later.
    status_page.publish_resolution(services, incident.channel_id, ALICE, Replies())
    assert [i.status for i in statuspage.incidents.values()] == ["identified"]
    statuspage.advance(61)
    _due_now(services, incident.id)

    (copied,) = statuspage.incidents.values()
    assert [u["status"] for u in copied.updates] == ["investigating", "identified", "resolved"]
    assert copied.updates[0]["components"] == {"c7x0card01": "partial_outage"}
    assert copied.updates[0]["body"] == "Some card payments are declined."
    assert (copied.status, copied.impact) == ("resolved", "major")
    assert copied.components == {"c7x0card01": "operational"}
    assert copied.name == "Card payments: partial outage"
    assert len(statuspage.calls("POST", f"/v1/pages/{PAGE_ID}/incidents")) == 2  # 503, then 201
    with services.db.begin() as session:
        assert session.scalars(select(PublicIncident.statuspage_id)).one() == copied.id


def test_an_answer_lost_after_the_creation_finds_it_instead_of_creating_another(
    services: Services, statuspage: StatuspageStandIn
) -> None:
    incident = declare(services)
    statuspage.lose_next_answer()  # created there, but the bot hears a 504
    publish(services, incident, "--public Card payments are slow.")
    assert len(statuspage.incidents) == 1
    _due_now(services, incident.id)
    (copied,) = statuspage.incidents.values()
    assert [u["body"] for u in copied.updates] == ["Card payments are slow."] * 2
    with services.db.begin() as session:
        assert session.scalars(select(PublicIncident.statuspage_id)).one() == copied.id
    assert len(statuspage.calls("POST", f"/v1/pages/{PAGE_ID}/incidents")) == 1


def test_a_refusal_is_final_and_told_in_the_channel(
    services: Services, slack: SlackStandIn, statuspage: StatuspageStandIn
) -> None:
    incident = declare(services)
    statuspage.fail_next(422, {"error": ["Name can't be blank"]})
    publish(services, incident, "--public Card payments are slow.")
    assert statuspage.incidents == {}
    said = [message_text(m) for m in slack.channels[str(incident.channel_id)].public()]
    assert any(
        "Could not copy the status page's update to Statuspage: Statuspage refused the new "
        "incident: Name can't be blank" in s
        for s in said
    )
    with services.db.begin() as session:
        owed = session.scalars(
            select(SlackEffect).where(SlackEffect.kind == SyncStatuspage.kind)
        ).one()
        assert owed.dead_at is not None
