"""Publishing on the status page from Slack, on a real database and the local Slack:
who may, what is refused (private incidents, drills, mentions, links, a bystander), what
the public story, the timeline and the channel hold afterwards, and the resolution the
Comms Lead is offered when the incident is resolved."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import resolution, status_page
from bot.app.open_incident import declare_and_open
from bot.app.services import Services
from bot.config import ConfigError, load_settings
from bot.incidents import queries
from bot.incidents.declare import Declaration
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.sandbox.reading import message_text
from bot.slack.listeners.commands.public_args import parse_public
from bot.slack.listeners.commands.subcommands import parse
from bot.statuspage import publishing
from bot.statuspage.states import ComponentState, PublicStatus
from bot.store.models import (
    ComponentImpact,
    Incident,
    PublicIncident,
    PublicUpdate,
    RoleAssignment,
    TimelineEvent,
)
from tests.conftest import ALICE, BOB, CARA
from tests.statuspage.conftest import EXAMPLE

INTERNAL_TITLE = "fraud-scorer v7 declines 12% of good payments after feature drift"


@pytest.fixture
def services_env() -> dict[str, str]:
    return {"INCIDENTBOT_STATUS_PAGE": str(EXAMPLE)}


class Replies:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, **message: Any) -> None:
        self.texts.append(str(message.get("text")))


def declare(services: Services, **more: Any) -> Incident:
    incident_id = declare_and_open(
        services,
        Declaration(INTERNAL_TITLE, Severity.SEV2, ALICE, service="fraud-scorer", **more),
        Replies(),
    )
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        session.expunge(incident)
    return incident


def publish(services: Services, incident: Incident, words: str, who: str = ALICE) -> Replies:
    replies = Replies()
    assert incident.channel_id
    status_page.publish(services, incident.channel_id, who, parse_public(words), replies)
    return replies


def test_a_publication_is_the_public_story_a_timeline_event_and_a_line_in_the_channel(
    services: Services, slack: SlackStandIn
) -> None:
    incident = declare(services)
    told = publish(services, incident, "--public Some card payments are declined; we are on it.")
    assert told.texts == []
    with services.db.begin() as session:
        story = session.scalars(select(PublicIncident)).one()
        # The components the model's incident affects, in the severity's state; a public
        # title of its own, never the internal one.
        assert story.components == {"card-payments": "partial_outage"}
        assert story.title == "Card payments: partial outage"
        assert INTERNAL_TITLE not in story.title
        assert (story.status, story.impact) == ("investigating", "major")
        event = session.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == EventKind.PUBLISHED)
        ).one()
        assert event.actor == ALICE and "we are on it" in event.text
        assert event.data["public_id"] == story.public_id
        window = session.scalars(select(ComponentImpact)).one()
        assert (window.component, window.state, window.ended_at) == (
            "card-payments",
            "partial_outage",
            None,
        )
    said = [message_text(m) for m in slack.channels[str(incident.channel_id)].public()]
    assert any(
        "Published on the status page (Investigating): *Card payments: partial outage*" in s
        for s in said
    )

    # A later one keeps the title and components unless told; a state change moves the window.
    publish(
        services,
        incident,
        '--public --status identified --title "Card payments are being declined" '
        "--component card-payments=degraded We found the cause and are rolling back.",
    )
    with services.db.begin() as session:
        story = session.scalars(select(PublicIncident)).one()
        assert story.title == "Card payments are being declined"
        assert story.status == "identified" and story.impact == "major"  # the worst it did
        windows = session.scalars(select(ComponentImpact).order_by(ComponentImpact.id)).all()
        assert [(w.state, w.ended_at is None) for w in windows] == [
            ("partial_outage", False),
            ("degraded_performance", True),
        ]
        assert [u.body for u in publishing.told(session, incident.id)] == [
            "Some card payments are declined; we are on it.",
            "We found the cause and are rolling back.",
        ]


def published_then_resolved(services: Services) -> Incident:
    """An incident Cara, its Comms Lead, told the public of, then resolved by Alice."""
    incident = declare(services)
    with services.db.begin() as session:
        session.add(RoleAssignment(incident_id=incident.id, role=Role.COMMS_LEAD, user_id=CARA))
    # The Comms Lead publishes (not the Commander's call alone).
    assert publish(services, incident, "--public Card payments fail for some.", CARA).texts == []
    assert incident.channel_id
    resolution.resolve_incident(services, incident.channel_id, ALICE, "Rolled back.", Replies())
    return incident


def test_resolving_offers_the_public_resolution_which_the_comms_lead_confirms(
    services: Services, slack: SlackStandIn
) -> None:
    incident = published_then_resolved(services)
    assert incident.channel_id
    channel = slack.channels[incident.channel_id]
    offer = next(m for m in channel.messages if "Publish the resolution" in message_text(m))
    assert (
        "still shows *Card payments: partial outage* as unresolved"
        in offer["blocks"][0]["text"]["text"]
    )
    assert offer["text"] == (
        "The status page still shows Card payments: partial outage as investigating."
    )
    status_page.publish_resolution(services, incident.channel_id, CARA, Replies())
    with services.db.begin() as session:
        story = session.scalars(select(PublicIncident)).one()
        assert story.status == "resolved" and story.resolved_at is not None
        assert story.components == {"card-payments": "operational"}
        assert session.scalars(select(ComponentImpact.ended_at)).one() is not None
        last = session.scalars(select(PublicUpdate).order_by(PublicUpdate.id.desc())).first()
        assert last is not None and last.body.startswith("This incident has been resolved.")
    again = Replies()
    status_page.publish_resolution(services, incident.channel_id, CARA, again)
    assert again.texts == [
        f"INC-{incident.id} is resolved on the status page; its public story is over."
    ]


@pytest.mark.parametrize(
    ("more", "said"),
    [
        ({"private": True}, "is private: nothing about a private incident goes on the status"),
        ({}, "Only the Incident Commander"),  # BOB holds no role
    ],
    ids=["private", "bystander"],
)
def test_refusals_say_why_and_publish_nothing(
    services: Services, more: dict[str, Any], said: str
) -> None:
    incident = declare(services, **more)
    told = publish(services, incident, "--public Payments are slow.", BOB if not more else ALICE)
    assert len(told.texts) == 1 and said in told.texts[0]
    with services.db.begin() as session:
        assert session.scalars(select(PublicIncident)).all() == []
        assert not session.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == EventKind.PUBLISHED)
        ).all()


def test_a_drill_is_never_published(services: Services) -> None:
    incident = declare(services)
    with services.db.begin() as session:
        row = queries.lock(session, incident.id)
        assert row is not None
        row.drill = "fraud-false-positives"
        with pytest.raises(InvalidInput, match="is a drill: drills never reach the status page"):
            publishing.publish(
                session,
                row,
                load_settings({"INCIDENTBOT_STATUS_PAGE": str(EXAMPLE)}).status_page.page,  # type: ignore[union-attr]
                services.policy,
                services.actor(ALICE),
                publishing.Publication(text="Payments are slow."),
            )


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("--public", "Say what customers should know. Usage: `/incident update --public"),
        ("--public <@U0BOB0002|bob> is on it", "names a person"),
        ("--public ask in <#C0123|inc-7>", "names a channel"),
        ("--public <!channel> payments down", "names a group or @here"),
        ("--public see <https://grafana.internal/d/1|the board>", "names a link"),
        ("--public details at https://wiki.internal/x", "has a link"),
        ("--public --status fixed Payments work", "'fixed' is not a public status"),
        ("--public --component card-payments=meh Slow", "'meh' is not a component state"),
        ("--public --title unquoted Slow", "Put the public title in double quotes. Usage: `"),
        ("--public --colour red Slow", "There is no --colour option. Usage: `/incident"),
        (
            "--public --component card-payments Slow",
            "Say the component and its state, e.g. card-payments=partial. Usage: `",
        ),
        ("--public --status fixed Slow", "or resolved. Usage: `/incident update"),
    ],
)
def test_the_command_refuses_bad_public_text_before_anything_runs(typed: str, said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse(f"update {typed}")
    assert said in str(refused.value)


def test_public_text_is_plain_words() -> None:
    asked = parse("update --public *Card payments* are slow :warning: &lt;3")
    assert isinstance(asked.value, publishing.Publication)
    assert publishing.public_words(asked.value.text, mrkdwn=True) == ("Card payments are slow ⚠️ <3")
    assert ComponentState.PARTIAL.label == "Partial outage"
    assert PublicStatus.RESOLVED.label == "Resolved"


def test_no_status_page_no_publication(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="INCIDENTBOT_STATUSPAGE_\\* is set but"):
        load_settings({"INCIDENTBOT_STATUSPAGE_TOKEN": "t", "INCIDENTBOT_STATUSPAGE_PAGE_ID": "p"})
    bad = tmp_path / "page.toml"
    bad.write_text('[page]\nname = "Acme"\n')
    with pytest.raises(ConfigError, match="names no components"):
        load_settings({"INCIDENTBOT_STATUS_PAGE": str(bad)})
    bad.write_text('[page]\nname = "Acme"\n[components.pay]\nname = "Pay"\n')
    with pytest.raises(ConfigError, match=r"components without a statuspage_id \(pay\)"):
        load_settings(
            {
                "INCIDENTBOT_STATUS_PAGE": str(bad),
                "INCIDENTBOT_STATUSPAGE_TOKEN": "t",
                "INCIDENTBOT_STATUSPAGE_PAGE_ID": "p1",
            }
        )
    assert load_settings({}).status_page is None


def _submitted(blocks: list[dict[str, Any]], **chosen: Any) -> dict[str, Any]:
    """The update form as Slack sends it back, with the status page's section filled."""
    values: dict[str, Any] = {}
    for block in blocks:
        if block.get("type") == "input":
            values[block["block_id"]] = {"value": {"type": block["element"]["type"]}}
    for block_id, state in chosen.items():
        values[block_id]["value"].update(state)
    return {"blocks": blocks, "state": {"values": values}}


def test_the_update_forms_section_publishes_and_the_postmortem_lists_what_was_told(
    services: Services,
) -> None:
    from bot.app.status_page import form_section
    from bot.documents import postmortem
    from bot.slack.blocks import forms
    from bot.slack.blocks import status_page_blocks as section
    from bot.slack.blocks.kit import render

    incident = declare(services)
    with services.db.begin() as session:
        row = session.get(Incident, incident.id)
        assert row is not None
        blocks = render(form_section(services, session, row))
    header = next(b for b in blocks if b["type"] == "header")
    assert header["text"]["text"] == "Status page"
    offered = next(b for b in blocks if b.get("block_id") == section.COMPONENTS)
    assert [o["value"] for o in offered["element"]["initial_options"]] == ["card-payments"]
    title = next(b for b in blocks if b.get("block_id") == section.TITLE)
    assert "initial_value" not in title["element"]  # typed, never the internal title

    assert section.parse_section(_submitted(blocks)) is None  # not ticked: nothing public
    ticked = {section.PUBLISH: {"selected_options": [{"value": "yes"}]}}
    with pytest.raises(forms.FormErrors, match="Write what customers are told"):
        section.parse_section(_submitted(blocks, **ticked))
    asked = section.parse_section(
        _submitted(
            blocks,
            **ticked,
            **{
                section.TEXT: {"value": "Card payments are slow; retrying works."},
                section.TITLE: {"value": "Slow card payments"},
                section.STATE: {"selected_option": {"value": "degraded_performance"}},
                section.STATUS: {"selected_option": {"value": "identified"}},
                section.COMPONENTS: {"selected_options": [{"value": "card-payments"}]},
            },
        )
    )
    assert asked is not None and asked.title == "Slow card payments"
    # A title the public page would refuse is refused in the form, before the internal
    # update goes out on its own.
    linked = {
        section.TEXT: {"value": "Card payments are slow."},
        section.TITLE: {"value": "See https://internal.example/run"},
    }
    with pytest.raises(forms.FormErrors) as refused:
        section.parse_section(_submitted(blocks, **ticked, **linked))
    assert set(refused.value.errors) == {section.TITLE}
    assert incident.channel_id
    status_page.publish(services, incident.channel_id, ALICE, asked, Replies(), mrkdwn=False)
    with services.db.begin() as session:
        row = session.get(Incident, incident.id)
        assert row is not None
        document = postmortem.render(postmortem.assemble(session, row), "md", None, None).text
    assert "What the public was told on the status page:" in document
    assert "Identified by @U0ALICE01: Slow card payments: Card payments are slow; retrying" in (
        document
    )


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('-- "“=<>@#!|:*_~&;abc\\n')), max_size=40))
def test_any_public_command_is_a_publication_or_a_sentence(typed: str) -> None:
    try:
        asked = parse(f"update --public {typed}")
    except InvalidInput as refused:
        assert str(refused).strip()
    else:
        assert isinstance(asked.value, publishing.Publication)


def test_the_public_flag_is_seen_at_the_end_of_its_line() -> None:
    """'--public' then a new line was read as an internal update: the customers' words,
    flag and all, went to every usual channel."""
    from bot.slack.listeners.commands.public_args import is_public

    assert is_public("--public\nCard payments are slow.")
    assert is_public("  --PUBLIC Card payments are slow.")
    assert not is_public("The public page is fine.") and not is_public("")


def test_a_story_made_private_after_it_was_published_may_still_be_closed(
    services: Services, slack: SlackStandIn
) -> None:
    """Its offered resolution was refused as private: the page read unresolved for ever."""
    incident = declare(services)
    assert publish(services, incident, "--public Card payments fail for some.").texts == []
    with services.db.begin() as session:
        held = session.get(Incident, incident.id)
        assert held is not None
        held.private = True
    refused = publish(services, incident, "--public Still on it.")
    assert refused.texts and "is private" in refused.texts[0]
    assert incident.channel_id
    status_page.publish_resolution(services, incident.channel_id, ALICE, Replies())
    with services.db.begin() as session:
        assert session.scalars(select(PublicIncident)).one().status == "resolved"
