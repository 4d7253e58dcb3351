"""Paging the on-call through PagerDuty's REST API, against the PagerDuty stand-in: when
an incident pages, that it pages once, what the page says, who comes into the channel,
what PagerDuty reports back, escalation on the scheduler's clock, and resolving."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import effects, nudges, resolution, severity
from bot.app.effect_kinds import SendPage
from bot.app.open_incident import declare_and_open
from bot.app.paging import oncall, owing, webhooks
from bot.app.services import Services
from bot.incidents.declare import Declaration
from bot.incidents.kinds import EventKind
from bot.incidents.severity import Severity
from bot.outbox import admin
from bot.paging.directory import Directory
from bot.sandbox import SlackStandIn
from bot.slack.listeners.commands.parsing import parse_page_args
from bot.store.models import Incident, Page, SlackEffect, TimelineEvent
from tests.conftest import ALICE, BOB, CARA
from tests.pager_standins.pagerduty import TOKEN, PagerDutyStandIn

ONCALL, BACKUP = "U0ONCALL1", "U0BACKUP2"
SECRET = "whsec-standin"


@pytest.fixture
def pagerduty() -> Iterator[PagerDutyStandIn]:
    with PagerDutyStandIn() as pd:
        pd.add_user("PUONCALL", "Olive Oncall", "olive@example.com")
        pd.add_user("PUBACKUP", "Basil Backup", "basil@example.com")
        pd.add_user("PUBOT", "Incident Bot", "bot@example.com")
        pd.add_service("PDEFAULT", "ML platform", [["PUONCALL"], ["PUBACKUP"]])
        pd.add_service("PFRAUD", "Fraud model", [["PUBACKUP"], ["PUONCALL"]])
        pd.add_service("PEMPTY", "Nobody home", [[]])
        yield pd


@pytest.fixture
def executives(slack: SlackStandIn) -> str:
    return slack.add_channel("exec-incidents", members={ALICE})


@pytest.fixture
def services_env(
    pagerduty: PagerDutyStandIn, tmp_path: Any, slack: SlackStandIn, executives: str
) -> dict[str, str]:
    slack.add_user(ONCALL, "olive", email="Olive@Example.com")
    slack.add_user(BACKUP, "basil", email="basil@example.com")
    routes = tmp_path / "paging.toml"
    routes.write_text(
        '[[service]]\nname = "fraud"\ntitle = "Fraud model"\nid = "PFRAUD"\n'
        'models = ["fraud-scorer"]\n\n'
        '[[service]]\nname = "empty"\ntitle = "Nobody home"\nid = "PEMPTY"\n'
    )
    return {
        "INCIDENTBOT_PAGERDUTY_TOKEN": TOKEN,
        "INCIDENTBOT_PAGERDUTY_FROM": "bot@example.com",
        "INCIDENTBOT_PAGERDUTY_URL": pagerduty.url,
        "INCIDENTBOT_PAGERDUTY_SERVICE": "PDEFAULT",
        "INCIDENTBOT_PAGERDUTY_WEBHOOK_SECRET": f"old-secret,{SECRET}",
        "INCIDENTBOT_PAGING_FILE": str(routes),
        "INCIDENTBOT_ESCALATION_LADDER": CARA,
        "INCIDENTBOT_EXECUTIVE_CHANNEL": executives,
    }


def said(**message: Any) -> None:
    """A reply nobody reads."""


class Replies:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, **message: Any) -> None:
        self.texts.append(str(message.get("text")))


def open_incident(
    services: Services, severity: Severity, title: str = "Ranker CTR down 15%", **more: Any
) -> Incident:
    incident_id = declare_and_open(services, Declaration(title, severity, ALICE, **more), said)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        session.expunge(incident)
    return incident


def events(services: Services, incident_id: int, kind: str) -> list[TimelineEvent]:
    with services.db.begin() as session:
        return list(
            session.scalars(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == incident_id, TimelineEvent.kind == kind
                )
            )
        )


def test_a_sev1_pages_the_default_service_once_and_brings_the_on_call_in(
    services: Services, slack: SlackStandIn, pagerduty: PagerDutyStandIn
) -> None:
    incident = open_incident(services, Severity.SEV1, description="CTR fell after v42 shipped")
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    assert page.service == "PDEFAULT" and page.urgency == "high"
    assert page.title == f"SEV1 {incident.reference}: Ranker CTR down 15%"
    assert f"https://slack.com/app_redirect?channel={incident.channel_id}" in page.details
    assert "CTR fell after v42 shipped" in page.details
    assert pagerduty.calls("POST", "/incidents")[0].headers["from"] == "bot@example.com"

    channel = slack.channels[incident.channel_id]
    assert channel.saying("Paged *the on-call* through PagerDuty")
    assert ONCALL in channel.members  # found in Slack by email, whatever its case
    assert channel.saying(f"On call for *the on-call*: <@{ONCALL}> (invited to this channel).")
    assert "Paged *the on-call* through PagerDuty" in channel.summary()
    assert "PagerDuty incident" in channel.summary()
    assert "waiting for the on-call to acknowledge" in channel.summary()
    (paged,) = events(services, incident.id, EventKind.PAGED)
    assert paged.data["external_id"] == page.id
    assert paged.data["url"] == f"https://standin.pagerduty.com/incidents/{page.id}"

    # Deciding again (a raise, a replay) pages nobody twice.
    with services.db.begin() as session:
        again = session.get(Incident, incident.id)
        assert again is not None
        assert owing.owe_automatic(services, session, again) is None
    effects.drain(services, incident.id)
    assert len(pagerduty.pages_for(f"{incident.reference}:")) == 1


def test_a_page_made_before_a_crash_is_found_by_its_key_not_made_again(
    services: Services, pagerduty: PagerDutyStandIn
) -> None:
    incident = open_incident(services, Severity.SEV2)
    # As if the process died after PagerDuty took the page and before it was recorded.
    with services.db.begin() as session:
        session.execute(update(Page).values(status="owed", external_id=None))
        (page_id,) = session.scalars(select(Page.id))
        effects.enqueue(session, incident.id, SendPage(page=page_id, service="the on-call"))
    effects.drain(services, incident.id)
    (made,) = pagerduty.pages_for(f"{incident.reference}:")
    with services.db.begin() as session:
        (row,) = session.scalars(select(Page))
        assert row.status == "triggered" and row.external_id == made.id


def test_a_model_with_its_own_service_pages_that_one(
    services: Services, pagerduty: PagerDutyStandIn
) -> None:
    incident = open_incident(services, Severity.SEV1, service="fraud-scorer")
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    assert page.service == "PFRAUD"


def test_lower_severities_page_nobody_until_raised_into_a_paging_one(
    services: Services, slack: SlackStandIn, pagerduty: PagerDutyStandIn
) -> None:
    incident = open_incident(services, Severity.SEV3)
    assert pagerduty.pages_for(f"{incident.reference}:") == []
    assert incident.channel_id is not None
    severity.change(services, incident.channel_id, Severity.SEV2, ALICE, said)
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    assert page.title.startswith("SEV2 ")
    severity.change(services, incident.channel_id, Severity.SEV1, ALICE, said)
    assert len(pagerduty.pages_for(f"{incident.reference}:")) == 1  # one page a service


def test_anyone_in_the_channel_pages_a_named_service_with_a_message(
    services: Services, slack: SlackStandIn, pagerduty: PagerDutyStandIn
) -> None:
    incident = open_incident(services, Severity.SEV4)
    assert incident.channel_id is not None
    reply = Replies()
    owing.page_by_hand(
        services,
        incident.channel_id,
        parse_page_args("fraud scores look <!channel> odd"),
        BOB,
        reply,
    )
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    assert page.service == "PFRAUD" and page.urgency == "low"
    assert "Message: scores look @channel odd" in page.details
    channel = slack.channels[incident.channel_id]
    (line,) = channel.saying("Paged *Fraud model* through PagerDuty at <@U0BOB0002>'s request")
    assert "<!channel>" not in line["text"] and "&lt;!channel&gt;" not in line["text"]
    assert BACKUP in channel.members
    (event,) = events(services, incident.id, EventKind.PAGED)
    assert event.actor == BOB
    # The timeline line names no raw user ID: who asked is the actor shown beside it.
    assert event.text == "Paged Fraud model through PagerDuty"

    # The first word names no service: all of it is the message, to the default service.
    owing.page_by_hand(
        services, incident.channel_id, parse_page_args("please look now"), BOB, reply
    )
    default = [p for p in pagerduty.pages_for(f"{incident.reference}:") if p.service == "PDEFAULT"]
    assert len(default) == 1 and "Message: please look now" in default[0].details
    # The same service again is refused, and says where the page is.
    owing.page_by_hand(services, incident.channel_id, parse_page_args("fraud again"), BOB, reply)
    assert reply.texts[-1].startswith("Fraud model is already paged for INC-")
    assert len(pagerduty.pages_for(f"{incident.reference}:")) == 2


def test_a_private_incident_pages_without_its_title_or_description(
    services: Services, pagerduty: PagerDutyStandIn
) -> None:
    incident = open_incident(
        services,
        Severity.SEV1,
        "Payroll model leaks salaries",
        private=True,
        description="secret details",
    )
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    assert page.title == f"Private SEV1 incident {incident.reference}"
    assert "Payroll" not in page.details and "secret" not in page.details
    assert f"app_redirect?channel={incident.channel_id}" in page.details


def test_a_refused_page_is_dead_at_once_and_said_in_words(
    services: Services, slack: SlackStandIn, pagerduty: PagerDutyStandIn
) -> None:
    incident = open_incident(services, Severity.SEV4)
    assert incident.channel_id is not None
    owing.page_by_hand(services, incident.channel_id, parse_page_args("empty"), BOB, said)
    channel = slack.channels[incident.channel_id]
    (notice,) = channel.saying("Could not page Nobody home")
    assert "PagerDuty says the escalation policy has no on-call users" in notice["text"]
    (dead,) = admin.listing(services.db, dead=True)
    assert dead.kind == SendPage.kind


def test_a_rate_limit_is_waited_out_as_pagerduty_asks_then_the_page_goes(
    services: Services, pagerduty: PagerDutyStandIn
) -> None:
    pagerduty.rate_limit(times=1, reset=40)
    incident = open_incident(services, Severity.SEV1)
    assert pagerduty.pages_for(f"{incident.reference}:") == []
    with services.db.begin() as session:
        (owed,) = session.scalars(select(SlackEffect).where(SlackEffect.kind == SendPage.kind))
        assert owed.error_code == "pagerduty_429"
        assert (owed.due_at - owed.created_at) >= timedelta(seconds=39)  # not the 2 s backoff
        session.execute(
            update(SlackEffect).where(SlackEffect.id == owed.id).values(due_at=owed.created_at)
        )
    effects.drain(services, incident.id)
    assert len(pagerduty.pages_for(f"{incident.reference}:")) == 1


def test_resolving_in_slack_resolves_the_page_and_already_resolved_is_fine(
    services: Services, pagerduty: PagerDutyStandIn
) -> None:
    first = open_incident(services, Severity.SEV1)
    second = open_incident(services, Severity.SEV2, "Second")
    (one,) = pagerduty.pages_for(f"{first.reference}:")
    (two,) = pagerduty.pages_for(f"{second.reference}:")
    pagerduty.resolve(two.id)  # someone resolved it in PagerDuty first
    for incident in (first, second):
        assert incident.channel_id is not None
        resolution.resolve_incident(services, incident.channel_id, ALICE, "fixed", said)
    assert one.status == "resolved"
    assert admin.listing(services.db, dead=True) == []
    with services.db.begin() as session:
        assert {p.status for p in session.scalars(select(Page))} == {"resolved"}


def deliver(
    services: Services,
    pd: PagerDutyStandIn,
    kind: str,
    incident_id: str,
    agent: str | None,
    webhook_id: str,
) -> None:
    body = pd.delivery(kind, incident_id, agent)
    assert webhooks.store_delivery(services, webhook_id, body) in (True, False)
    webhooks.apply_deliveries(services)


def test_what_pagerduty_reports_back_goes_on_the_timeline_once(
    services: Services, slack: SlackStandIn, pagerduty: PagerDutyStandIn
) -> None:
    incident = open_incident(services, Severity.SEV1)
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    pagerduty.acknowledge(page.id)
    deliver(services, pagerduty, "incident.acknowledged", page.id, "Olive <!here>", "W1")
    deliver(services, pagerduty, "incident.acknowledged", page.id, "Olive <!here>", "W1")
    deliver(services, pagerduty, "incident.acknowledged", page.id, "Olive <!here>", "W2")
    channel = slack.channels[incident.channel_id]
    (line,) = channel.saying("acknowledged the page of")
    assert "<!here>" not in line["text"] and "Olive &lt;!here&gt;" in line["text"]
    (acked,) = events(services, incident.id, EventKind.PAGE_ACKNOWLEDGED)
    assert acked.data["by"] == "Olive <!here>"
    assert "acknowledged by Olive &lt;!here&gt;" in channel.summary()
    with services.db.begin() as session:
        stored = session.get(Incident, incident.id)
        assert stored is not None and stored.page_acknowledged_at is not None

    deliver(services, pagerduty, "incident.resolved", page.id, "Olive", "W3")
    assert channel.saying("stays open here until its Commander resolves it")
    assert channel.private_to(ALICE)[-1]["text"].startswith("The page of the on-call is resolved")
    with services.db.begin() as session:
        stored = session.get(Incident, incident.id)
        assert stored is not None and stored.is_open  # ours is the Commander's to resolve
    deliver(services, pagerduty, "incident.annotated", page.id, "Olive", "W4")  # ignored
    assert len(events(services, incident.id, EventKind.PAGE_RESOLVED)) == 1


def test_nobody_taking_commander_escalates_on_the_clock_until_someone_does(
    services: Services, slack: SlackStandIn, pagerduty: PagerDutyStandIn, executives: str
) -> None:
    incident = open_incident(services, Severity.SEV1)
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    channel = slack.channels[incident.channel_id]
    nudges.tick(services, incident.declared_at + timedelta(minutes=4))
    assert page.level == 1 and not channel.saying("escalating to level")

    nudges.tick(services, incident.declared_at + timedelta(minutes=5, seconds=1))
    assert page.level == 2 and page.assignees == ["PUBACKUP"]
    assert channel.saying(
        f"Nobody has taken the Incident Commander role on {incident.reference} after 5 min: "
        "escalating to level 2"
    )
    assert CARA in channel.members  # the team's own ladder's second level
    (told,) = slack.channels[executives].saying(
        f"SEV1 {incident.reference} has no Incident Commander after"
    )
    assert channel_link_in(told["text"], incident.channel_id)
    (escalated,) = events(services, incident.id, EventKind.PAGE_ESCALATED)
    assert escalated.data["level"] == 2
    assert escalated.text == "Nobody took the Incident Commander role in time: escalated to level 2"

    # Someone takes Commander: the ladder stops.
    with services.db.begin() as session:
        from bot.store.models import RoleAssignment

        session.add(RoleAssignment(incident_id=incident.id, role="commander", user_id=BOB))
    nudges.tick(services, incident.declared_at + timedelta(minutes=11))
    assert page.level == 2
    assert len(events(services, incident.id, EventKind.PAGE_ESCALATED)) == 1


def channel_link_in(text: str, channel_id: str | None) -> bool:
    return f"<#{channel_id}>" in text


def test_an_acknowledged_page_stops_the_ladder(
    services: Services, pagerduty: PagerDutyStandIn
) -> None:
    incident = open_incident(services, Severity.SEV1)
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    deliver(services, pagerduty, "incident.acknowledged", page.id, "Olive", "W9")
    nudges.tick(services, incident.declared_at + timedelta(minutes=6))
    assert page.level == 1
    assert events(services, incident.id, EventKind.PAGE_ESCALATED) == []


def test_who_is_on_call_now(services: Services) -> None:
    reply = Replies()
    oncall.on_call_now(services, "fraud", reply)
    assert reply.texts[-1] == (
        "On call for Fraud model now (PagerDuty):\n• level 1: Basil Backup\n• level 2: Olive Oncall"
    )
    oncall.on_call_now(services, "nope", reply)
    assert reply.texts[-1].startswith("Name a service (`/incident oncall <service>`)")
    assert "; the services are: fraud, empty, default." in reply.texts[-1]
    # With no services listed, the refusal says where they would be listed.
    paging = replace(services.settings.paging, directory=Directory())
    bare = replace(services, settings=replace(services.settings, paging=paging))
    oncall.on_call_now(bare, "nope", reply)
    assert reply.texts[-1] == (
        "Name a service (`/incident oncall <service>`); "
        "no services are listed (INCIDENTBOT_PAGING_FILE)."
    )


def test_a_drill_pages_nobody_and_says_what_it_would_have_paged(
    services: Services, slack: SlackStandIn, pagerduty: PagerDutyStandIn
) -> None:
    from bot.app import drills

    drills.start(services, "fraud-false-positives", ALICE, said)
    with services.db.begin() as session:
        (drill,) = session.scalars(select(Incident))
        session.expunge(drill)
    assert drill.drill and drill.channel_id is not None
    severity.change(services, drill.channel_id, Severity.SEV1, ALICE, said)  # the players raise it
    assert pagerduty.incidents == {}  # nothing real was paged
    channel = slack.channels[drill.channel_id]
    (line,) = channel.saying("[DRILL] In a real incident this would page")
    assert "through PagerDuty" in line["text"] and "A drill pages nobody." in line["text"]
    (event,) = events(services, drill.id, EventKind.PAGED)
    assert event.data["rehearsed"] is True
    assert "rehearsed: nobody was paged" in channel.summary()

    # Nobody takes Commander: the ladder is rehearsed too, with nobody real pinged.
    nudges.tick(services, drill.declared_at + timedelta(minutes=6))
    (rehearsed,) = channel.saying("in a real incident the bot would escalate to level 2")
    assert "<@" not in rehearsed["text"] and CARA not in channel.members
    assert events(services, drill.id, EventKind.PAGE_ESCALATED) == []


def test_reassigned_and_escalated_in_pagerduty_are_said_and_recorded(
    services: Services, slack: SlackStandIn, pagerduty: PagerDutyStandIn
) -> None:
    incident = open_incident(services, Severity.SEV2)
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    page.assignees = ["PUBACKUP"]
    deliver(services, pagerduty, "incident.reassigned", page.id, "Olive", "R1")
    page.level = 2
    deliver(services, pagerduty, "incident.escalated", page.id, None, "E1")
    channel = slack.channels[incident.channel_id]
    assert channel.saying("Olive reassigned the page of *the on-call* to Basil Backup.")
    assert channel.saying("The page of *the on-call* escalated to Basil Backup.")
    (moved,) = events(services, incident.id, EventKind.PAGE_REASSIGNED)
    assert moved.data["to"] == ["Basil Backup"]
    (escalated,) = events(services, incident.id, EventKind.PAGE_ESCALATED)
    assert escalated.data["level"] == 2
