"""A status update keeps Slack's markup in Slack: the timeline (and so the console, the
post-mortem, the tickets) keeps its plain words, cut at a word when it is long."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import updates
from bot.app.open_incident import declare_and_open
from bot.app.services import Services
from bot.incidents.declare import Declaration
from bot.incidents.kinds import EventKind
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.store.models import Incident, TimelineEvent
from tests.conftest import ALICE


def test_an_update_is_stored_in_plain_words_and_cut_at_a_word(
    services: Services, slack: SlackStandIn
) -> None:
    incident_id = declare_and_open(
        services, Declaration("Fraud model flags payments", Severity.SEV1, ALICE), lambda **_: None
    )
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.channel_id is not None
        channel = incident.channel_id
    text = (
        ":red_circle: *INC-1 (SEV1, critical): the fraud model flags legitimate payments.* "
        "_Customers see declined cards._ " + "The incident team is investigating the cause. " * 8
    )
    updates.send(services, channel, text, ALICE, lambda **_: None)
    with services.db.begin() as session:
        (event,) = session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.incident_id == incident_id,
                TimelineEvent.kind == EventKind.STATUS_UPDATE,
            )
        )
        stored, message = event.text, str(event.data["message"])
    assert stored.startswith("First notice: INC-1 (SEV1, critical): the fraud model flags")
    for said in (stored, message):
        assert ":red_circle:" not in said and "*" not in said and "_Customers" not in said
    assert len(stored) <= 300 and stored.endswith("…")
    assert stored[:-1].split()[-1] in text.split()  # a whole word before the ellipsis
    posted = [
        m["text"] for m in slack.channels[channel].messages if "sent to stakeholders" in m["text"]
    ]
    assert posted and ":red_circle: *INC-1" in posted[0]  # Slack still draws it
