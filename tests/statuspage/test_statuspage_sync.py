"""Publications copied to Atlassian Statuspage through the outbox, against a stand-in
that enforces its API's rules: one incident created, then updated through to resolved
with its components; a 5xx and a rate limit retried; a creation whose answer was lost
found again (after a retry, or a given-up earlier copy) and not told twice; a refusal
final and told in the channel in Statuspage's words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from bot.app import effects, status_page
from bot.app.effect_kinds import SyncStatuspage
from bot.app.services import Services
from bot.sandbox import SlackStandIn
from bot.sandbox.reading import message_text
from bot.statuspage import atlassian
from bot.statuspage.atlassian import (
    SEARCH_PAGES,
    IncidentChange,
    Statuspage,
    StatuspageRefused,
)
from bot.store.models import PublicIncident, SlackEffect
from tests.conftest import ALICE
from tests.statuspage.conftest import EXAMPLE
from tests.statuspage.standin import KEY, PAGE_ID, SpIncident, StatuspageStandIn
from tests.statuspage.test_publishing import Replies, declare, publish


@pytest.fixture
def statuspage() -> Iterator[StatuspageStandIn]:
    with StatuspageStandIn(limit=4) as standin:
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
    # The stand-in's rate limit (4 a minute here; the creation's retry looked for it first,
    # among the unresolved incidents, then all) holds the resolution back: retried later.
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
    """The retry finds the incident the lost creation made, which already carries the
    publication: it was PATCHed on again, posting the same words twice and notifying the
    page's subscribers twice."""
    incident = declare(services)
    statuspage.lose_next_answer()  # created there, but the bot hears a 504
    publish(services, incident, "--public Card payments are slow.")
    assert len(statuspage.incidents) == 1
    _due_now(services, incident.id)
    (copied,) = statuspage.incidents.values()
    assert [u["body"] for u in copied.updates] == ["Card payments are slow."]
    assert statuspage.notified == [(copied.id, "investigating", "Card payments are slow.")]
    with services.db.begin() as session:
        assert session.scalars(select(PublicIncident.statuspage_id)).one() == copied.id
        done = select(SlackEffect.done_at).where(SlackEffect.kind == SyncStatuspage.kind)
        assert session.scalars(done).one() is not None
    assert len(statuspage.calls("POST", f"/v1/pages/{PAGE_ID}/incidents")) == 1
    assert statuspage.calls("PATCH", f"/v1/pages/{PAGE_ID}/incidents") == []


def test_a_creation_given_up_is_looked_for_before_the_next_publication_creates(
    services: Services, statuspage: StatuspageStandIn
) -> None:
    """The creation reached Statuspage (its answer lost), then its work was given up; the
    story's next publication, a first attempt, created a second incident without looking."""
    incident = declare(services)
    statuspage.lose_next_answer()  # created there, but the bot hears a 504
    publish(services, incident, "--public Card payments are slow.")
    (made,) = statuspage.incidents.values()
    with services.db.begin() as session:  # owed for longer than the outbox tries
        session.execute(
            update(SlackEffect)
            .where(SlackEffect.kind == SyncStatuspage.kind)
            .values(created_at=datetime.now(UTC) - timedelta(hours=7))
        )
    statuspage.fail_next(503, {"error": "Service Unavailable"})  # the retry's search fails
    _due_now(services, incident.id)
    with services.db.begin() as session:
        (given_up,) = session.scalars(
            select(SlackEffect).where(SlackEffect.kind == SyncStatuspage.kind)
        )
        assert given_up.dead_at is not None
        assert session.scalars(select(PublicIncident.statuspage_id)).one() is None

    publish(services, incident, "--public --status identified We found the cause.")

    assert list(statuspage.incidents) == [made.id]  # found, not made twice
    assert [(u["status"], u["body"]) for u in made.updates] == [
        ("investigating", "Card payments are slow."),
        ("identified", "We found the cause."),
    ]
    assert len(statuspage.calls("POST", f"/v1/pages/{PAGE_ID}/incidents")) == 1
    with services.db.begin() as session:
        assert session.scalars(select(PublicIncident.statuspage_id)).one() == made.id


def test_a_story_created_resolved_whose_answer_was_lost_is_found_not_made_twice(
    services: Services, statuspage: StatuspageStandIn
) -> None:
    """Published first at its resolution, created there but its answer lost: the retry
    looked only among the unresolved incidents, missed it and made a second one."""
    incident = declare(services)
    statuspage.lose_next_answer()  # created there (resolved), but the bot hears a 504
    publish(services, incident, "--public --status resolved Card payments failed for 10 min.")
    (made,) = statuspage.incidents.values()
    assert made.status == "resolved"
    _due_now(services, incident.id)

    assert list(statuspage.incidents) == [made.id]  # one incident on the page
    assert len(statuspage.calls("POST", f"/v1/pages/{PAGE_ID}/incidents")) == 1
    with services.db.begin() as session:
        assert session.scalars(select(PublicIncident.statuspage_id)).one() == made.id
    (searched,) = [
        r for r in statuspage.calls("GET", f"/v1/pages/{PAGE_ID}/incidents") if "q" in r.query
    ]
    assert searched.query == {"q": [made.name], "limit": ["100"], "page": ["1"]}


def test_the_search_for_a_lost_creation_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its pages it takes the incident as never made; past its deadline it is
    tried later; a page of the list is never asked for more than Statuspage gives."""
    monkeypatch.setattr(atlassian, "SEARCH_LIMIT", 4)  # pages of 4, not 100: fewer to make
    with StatuspageStandIn(limit=1000) as standin:
        for n in range(4 * SEARCH_PAGES + 2):  # namesakes, ours the oldest
            standin.incidents[f"sp{n:010d}"] = SpIncident(
                f"sp{n:010d}",
                "Card payments: partial outage",
                "resolved",
                "minor",
                {},
                metadata={"incidentbot": {"public_id": "abc123" if n == 0 else f"x{n}"}},
            )
        change = IncidentChange(
            "Card payments: partial outage", "resolved", "minor", "Fixed.", {}, "abc123"
        )
        client = Statuspage(standin.url, KEY, PAGE_ID, clock=lambda: 0.0)
        late = Statuspage(standin.url, KEY, PAGE_ID, clock=iter([0.0, 31.0]).__next__)
        try:
            assert client.find(change) is None
            searched = standin.calls("GET", f"/v1/pages/{PAGE_ID}/incidents")
            assert [r.query["page"] for r in searched] == [["1"], ["2"], ["3"]]
            # An open story looks among the unresolved first, then searches all (one
            # resolved by hand on Statuspage since is found too).
            opened = IncidentChange(change.name, "identified", "minor", "Slow.", {}, "x12")
            found = client.find(opened)
            assert found is not None and found.id == "sp0000000012"
            assert standin.calls("GET", f"/v1/pages/{PAGE_ID}/incidents/unresolved")
            with pytest.raises(StatuspageRefused, match="could not be searched in time") as held:
                late.find(change)
            assert held.value.failure.retry
        finally:
            client.close()
            late.close()
    with StatuspageStandIn() as standin:
        refused = httpx.get(
            f"{standin.url}/v1/pages/{PAGE_ID}/incidents",
            params={"limit": 101},
            headers={"Authorization": f"OAuth {KEY}"},
        )
        assert (refused.status_code, refused.json()) == (
            400,
            {"error": "limit must be between 1 and 100"},
        )


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
