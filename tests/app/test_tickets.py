"""Action items as tickets, from Slack, against the Jira and Confluence stand-ins: asked
for on a card or with ``--ticket``, filed on a SEV1/SEV2's resolution unless someone said
no, filed once across a lost answer, refusals told in the channel in Jira's words, a
private incident's title withheld, drills filing nothing; what Jira says back (webhook
or poll), overdue nudges, and the post-mortem published to Confluence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import effects, resolution, ticket_changes, tickets, timeline, wiki
from bot.app.effect_kinds import FileTicket
from bot.app.open_incident import declare_and_open
from bot.app.services import Services
from bot.incidents import notes
from bot.incidents.declare import Declaration
from bot.incidents.kinds import EventKind
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.sandbox.reading import readable
from bot.slack.listeners.commands.parsing import parse_action_args
from bot.store.models import Incident, PublishedPage, SlackEffect, TimelineEvent, TrackedAction
from tests.conftest import ALICE, BOB, CARA
from tests.tracker_standins import confluence as wiki_standin
from tests.tracker_standins import jira as jira_standin
from tests.tracker_standins.confluence import ConfluenceStandIn
from tests.tracker_standins.jira import JiraStandIn, text_of

TITLE = "Fraud model flags 40% of payments"


@pytest.fixture
def services_env(jira: JiraStandIn, confluence: ConfluenceStandIn) -> dict[str, str]:
    return {
        "INCIDENTBOT_JIRA_URL": jira.url,
        "INCIDENTBOT_JIRA_EMAIL": jira_standin.EMAIL,
        "INCIDENTBOT_JIRA_TOKEN": jira_standin.TOKEN,
        "INCIDENTBOT_JIRA_PROJECT": "FRAUD",
        "INCIDENTBOT_CONFLUENCE_URL": confluence.url,
        "INCIDENTBOT_CONFLUENCE_EMAIL": wiki_standin.EMAIL,
        "INCIDENTBOT_CONFLUENCE_TOKEN": wiki_standin.TOKEN,
        "INCIDENTBOT_CONFLUENCE_SPACE": wiki_standin.SPACE_KEY,
    }


class Replies:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, **message: Any) -> None:
        self.texts.append(str(message.get("text")))


def open_incident(
    services: Services, severity: Severity = Severity.SEV2, title: str = TITLE, **more: Any
) -> Incident:
    incident_id = declare_and_open(services, Declaration(title, severity, ALICE, **more), Replies())
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        session.expunge(incident)
    return incident


def add_item(
    services: Services, incident: Incident, words: str, reply: Replies | None = None
) -> int:
    assert incident.channel_id is not None
    timeline.add_action(
        services, incident.channel_id, parse_action_args(words), BOB, reply or Replies()
    )
    with services.db.begin() as session:
        return max(
            session.scalars(
                select(TimelineEvent.id).where(
                    TimelineEvent.incident_id == incident.id,
                    TimelineEvent.kind == EventKind.ACTION_ITEM,
                )
            )
        )


def card(slack: SlackStandIn, incident: Incident, item_id: int) -> dict[str, Any]:
    channel = slack.channels[str(incident.channel_id)]
    return next(
        m
        for m in channel.messages
        if any(b.get("block_id") == f"action_item:{item_id}" for b in m.get("blocks") or [])
        or (
            m.get("text", "").startswith("Action item:")
            and m.get("blocks")
            and f"action_item:{item_id}" in str(m["blocks"])
        )
    )


def row(services: Services, item_id: int) -> TrackedAction:
    with services.db.begin() as session:
        found = session.get(TrackedAction, item_id)
        assert found is not None
        session.expunge(found)
        return found


def kinds(services: Services, incident_id: int) -> list[str]:
    with services.db.begin() as session:
        return list(
            session.scalars(
                select(TimelineEvent.kind)
                .where(TimelineEvent.incident_id == incident_id)
                .order_by(TimelineEvent.id)
            )
        )


def test_create_ticket_files_it_once_and_the_key_shows_on_the_card_timeline_and_postmortem(
    services: Services, slack: SlackStandIn, jira: JiraStandIn
) -> None:
    incident = open_incident(services)
    item_id = add_item(services, incident, f"Alert on null rates <@{CARA}|cara> 2099-01-05")
    shown = card(slack, incident, item_id)
    assert [b["text"]["text"] for b in shown["blocks"][-1]["elements"]] == [
        "Done",
        "Create ticket",
        "No ticket",
    ]
    reply = Replies()
    tickets.ask(services, str(incident.channel_id), item_id, BOB, reply, shown["ts"])
    assert reply.texts == ["Filing it in Jira; this channel hears when it is there."]
    (issue,) = jira.issues.values()
    assert issue.summary == f"{incident.reference}: Alert on null rates"
    assert issue.labels == [
        f"incidentbot-item-{item_id}",
        f"incident-{incident.reference.lower()}",
        "incidentbot",
    ]
    words = text_of(issue.description)
    assert TITLE in words and "Owner in Slack: @cara" in words and "Due 2099-01-05" in words
    assert "<@" not in words and "at @bob's request" in words

    channel = slack.channels[str(incident.channel_id)]
    assert channel.saying(f"Filed <{jira.url}/browse/FRAUD-1|FRAUD-1> in Jira")
    redrawn = card(slack, incident, item_id)
    assert "FRAUD-1" in readable(redrawn["blocks"]) and "Create ticket" not in str(
        redrawn["blocks"]
    )
    assert EventKind.TICKET_FILED in kinds(services, incident.id)

    again = Replies()
    tickets.ask(services, str(incident.channel_id), item_id, CARA, again)
    assert again.texts == ["That action item has its ticket already (FRAUD-1)."]
    assert len(jira.issues) == 1

    from bot.documents import postmortem

    with services.db.begin() as session:
        document, _ = postmortem.produce(session, session.get(Incident, incident.id), "md")
    assert f"| [FRAUD-1]({jira.url}/browse/FRAUD-1) |" in document.text


def test_a_lost_answer_is_retried_and_finds_the_ticket_instead_of_filing_a_second(
    services: Services, slack: SlackStandIn, jira: JiraStandIn
) -> None:
    incident = open_incident(services)
    jira.lost_answers = 1  # Jira makes the issue; its 502 is all the bot hears
    item_id = add_item(services, incident, "Pin the feature store version --ticket")
    assert len(jira.issues) == 1
    with services.db.begin() as session:  # the retry falls due (or came already)
        session.execute(update(SlackEffect).values(due_at=datetime.now(UTC)))
    effects.drain(services, incident.id)
    assert len(jira.issues) == 1  # found by its label, not filed again
    assert row(services, item_id).ticket_key == "FRAUD-1"
    assert [r.method for r in jira.requests] == ["POST", "GET"]


def test_a_final_refusal_is_told_in_the_channel_in_jiras_words(
    services: Services, slack: SlackStandIn, jira: JiraStandIn
) -> None:
    jira.projects["FRAUD"] = ["Bug"]  # no Task in this project
    incident = open_incident(services)
    item_id = add_item(services, incident, "Backfill the labels --ticket")
    channel = slack.channels[str(incident.channel_id)]
    (notice,) = [m["text"] for m in channel.messages if m["text"].startswith(":warning:")]
    assert (
        "Could not file the action item's ticket: Jira refused the ticket: "
        "the project FRAUD has no issue type Task" in notice
    )
    assert jira.issues == {}
    jira.projects["FRAUD"].append("Task")  # an admin fixed the project
    again = Replies()
    tickets.ask(services, str(incident.channel_id), item_id, BOB, again)
    assert again.texts == ["Filing it in Jira; this channel hears when it is there."]
    assert row(services, item_id).ticket_key == "FRAUD-1"


def test_a_rate_limit_is_waited_out_then_the_ticket_is_filed(
    services: Services, slack: SlackStandIn, jira: JiraStandIn
) -> None:
    jira.fail_next(429, {"errorMessages": ["Rate limit exceeded."]}, {"Retry-After": "40"})
    incident = open_incident(services)
    item_id = add_item(services, incident, "Add a canary for the scorer --ticket")
    with services.db.begin() as session:
        (owed,) = session.scalars(select(SlackEffect).where(SlackEffect.kind == FileTicket.kind))
        waits = (owed.due_at - datetime.now(UTC)).total_seconds()
    assert 35 < waits <= 40 and jira.issues == {}
    with services.db.begin() as session:
        session.execute(update(SlackEffect).values(due_at=datetime.now(UTC)))
    effects.drain(services, incident.id)
    assert row(services, item_id).ticket_key == "FRAUD-1"


def resolve(services: Services, incident: Incident) -> None:
    resolution.resolve_incident(services, str(incident.channel_id), ALICE, "rolled back", Replies())


def test_resolving_a_sev2_files_its_open_items_but_those_someone_said_no_to(
    services: Services, slack: SlackStandIn, jira: JiraStandIn
) -> None:
    incident = open_incident(services, Severity.SEV2)
    filed = add_item(services, incident, "Write the drift runbook")
    declined = add_item(services, incident, "Discuss in standup")
    done = add_item(services, incident, "Roll back to v41")
    reply = Replies()
    tickets.decline(services, str(incident.channel_id), declined, CARA, reply)
    assert reply.texts == [
        "No ticket will be filed for it on resolution; *Create ticket* still can."
    ]
    timeline.close_action(services, str(incident.channel_id), done, "", BOB, Replies())
    resolve(services, incident)
    (issue,) = jira.issues.values()
    assert issue.labels[0] == f"incidentbot-item-{filed}"
    assert "when the incident was resolved" in text_of(issue.description)
    channel = slack.channels[str(incident.channel_id)]
    assert channel.saying(
        "Filing 1 open action item in Jira: a SEV2 incident's open items are filed when it is "
        "resolved, except those marked *No ticket*."
    )
    assert row(services, declined).ticket == "declined" and row(services, done).ticket is None
    late = Replies()
    tickets.ask(services, str(incident.channel_id), done, BOB, late)
    assert late.texts == ["That action item is done already; there is nothing to file."]


def test_a_sev3_files_nothing_on_resolution_and_a_drill_never_files(
    services: Services, slack: SlackStandIn, jira: JiraStandIn
) -> None:
    low = open_incident(services, Severity.SEV3)
    add_item(services, low, "Tidy the dashboards")
    resolve(services, low)
    assert jira.issues == {}

    drill = open_incident(services, Severity.SEV1)
    with services.db.begin() as session:  # as `/incident drill start` marks its incident
        session.execute(update(Incident).where(Incident.id == drill.id).values(drill="fraud-drift"))
    item_id = add_item(services, drill, "Practice the rollback --ticket")
    assert jira.issues == {} and row(services, item_id).ticket is None
    channel = slack.channels[str(drill.channel_id)]
    assert channel.saying(
        "[DRILL] In a real incident this would file “Practice the rollback” as a Jira ticket"
    )


def test_a_private_incident_withholds_its_title_until_the_commander_shares_it(
    services: Services, slack: SlackStandIn, jira: JiraStandIn
) -> None:
    incident = open_incident(services, private=True)
    add_item(services, incident, "Rotate the leaked key --ticket")
    (first,) = jira.issues.values()
    assert TITLE not in first.summary and TITLE not in text_of(first.description)
    assert "a private SEV2 incident (its title is withheld)" in text_of(first.description)

    refused = Replies()
    tickets.share_title(services, str(incident.channel_id), CARA, True, refused)
    assert refused.texts[0].startswith("Only the Incident Commander")
    shared = Replies()
    tickets.share_title(services, str(incident.channel_id), ALICE, True, shared)
    assert shared.texts == [
        f"{incident.reference}'s title shows on the tickets and wiki page made from now on."
    ]
    add_item(services, incident, "Audit the export job --ticket")
    second = jira.issues["FRAUD-2"]
    assert TITLE in text_of(second.description)


def test_a_ticket_done_in_jira_marks_its_item_done_and_the_review_counts_it(
    services: Services, slack: SlackStandIn, jira: JiraStandIn
) -> None:
    incident = open_incident(services)
    item_id = add_item(services, incident, "Alert on null rates --ticket")
    jira.close("FRAUD-1")
    assert ticket_changes.apply_change(services, "jira", "FRAUD-404", True).startswith(
        "not one of our"
    )
    assert (
        ticket_changes.apply_change(services, "jira", "FRAUD-1", True)
        == "the action item is marked done"
    )
    services.background.wait_idle() if hasattr(services.background, "wait_idle") else None
    effects.drain(services, incident.id)
    with services.db.begin() as session:
        assert [d for i, d in notes.actions(session, incident.id) if i.id == item_id] == [True]
        (closing,) = session.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == EventKind.ACTION_ITEM_DONE)
        )
        assert closing.actor is None and closing.data["via"] == "FRAUD-1"
    channel = slack.channels[str(incident.channel_id)]
    assert channel.saying(
        "FRAUD-1 is done in Jira, so the action item “Alert on null rates” is marked done"
    )
    assert ticket_changes.apply_change(services, "jira", "FRAUD-1", True).startswith(
        "not one of our"
    )

    from bot.review import load

    now = datetime.now(UTC)
    facts = load.read(
        services.db, now - timedelta(days=1), now + timedelta(days=1), include_drills=False
    )
    assert facts.actions.done.tolist() == [True]  # the review's follow-through sees it


def test_the_daily_poll_finds_what_a_missed_webhook_would_have_said(
    services: Services, slack: SlackStandIn, jira: JiraStandIn
) -> None:
    incident = open_incident(services)
    item_id = add_item(services, incident, "Alert on null rates --ticket")
    jira.close("FRAUD-1")  # the webhook never arrived
    now = datetime.now(UTC)
    assert ticket_changes.poll(services, now) == 0  # not due: checked a day after filing
    assert ticket_changes.poll(services, now + timedelta(days=1, minutes=1)) == 1
    assert row(services, item_id).done_at is not None
    asked = [r for r in jira.requests if r.method == "GET" and r.path.endswith("/FRAUD-1")]
    assert len(asked) == 1
    assert ticket_changes.poll(services, now + timedelta(days=3)) == 0  # done: never asked again


def test_an_overdue_item_nudges_its_owner_daily_until_it_is_done(
    services: Services, slack: SlackStandIn
) -> None:
    incident = open_incident(services)
    tomorrow = date.today() + timedelta(days=1)
    item_id = add_item(
        services, incident, f"Retrain on fresh labels <@{CARA}|cara> {tomorrow.isoformat()}"
    )
    due = datetime.combine(tomorrow + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    assert ticket_changes.nudge_overdue(services, due + timedelta(hours=8)) == 0  # before 09:00
    assert ticket_changes.nudge_overdue(services, due + timedelta(hours=9)) == 1
    assert ticket_changes.nudge_overdue(services, due + timedelta(hours=10)) == 0  # once a day
    dm = next(c for c in slack.channels.values() if c.name == f"dm-{CARA}")
    (nudge,) = [m["text"] for m in dm.messages]
    assert (
        "Your action item from" in nudge
        and "(1 day ago)" in nudge
        and "Retrain on fresh labels" in nudge
    )
    assert ticket_changes.nudge_overdue(services, due + timedelta(days=1, hours=9)) == 1
    timeline.close_action(services, str(incident.channel_id), item_id, "", CARA, Replies())
    assert ticket_changes.nudge_overdue(services, due + timedelta(days=2, hours=9)) == 0


def test_publishing_writes_one_page_a_version_each_time_with_the_chart_attached(
    services: Services, slack: SlackStandIn, confluence: ConfluenceStandIn
) -> None:
    incident = open_incident(services, description='<ac:structured-macro ac:name="html"/> & co')
    channel = str(incident.channel_id)
    reply = Replies()
    wiki.publish(services, channel, ALICE, reply)
    assert reply.texts == [
        "Publishing the post-mortem to Confluence; this channel hears when it is there."
    ]
    (page,) = confluence.pages.values()
    assert page.title == f"Post-mortem {incident.reference}: {TITLE}"
    assert "structured-macro" not in page.body.replace("&lt;ac:structured-macro", "")
    assert "&lt;ac:structured-macro" in page.body  # the typed text, shown as text
    assert '<ri:attachment ri:filename="timeline.png" />' in page.body
    assert page.attachments["timeline.png"][0].startswith(b"\x89PNG")
    url = f"{wiki_standin.SITE}/spaces/MLOPS/pages/{page.id}"
    assert slack.channels[channel].saying(f"Draft post-mortem published in Confluence: <{url}|")
    assert f"<{url}|Post-mortem (draft)>" in slack.channels[channel].summary()

    confluence.edit(page.id)  # someone wrote in it meanwhile
    resolve(services, incident)
    wiki.publish(services, channel, ALICE, Replies())
    assert len(confluence.pages) == 1 and page.version == 3
    assert slack.channels[channel].saying("Post-mortem updated in Confluence")
    with services.db.begin() as session:
        stored = session.get(PublishedPage, incident.id)
        assert stored is not None and stored.version == 3
    assert kinds(services, incident.id).count(EventKind.POSTMORTEM_PUBLISHED) == 2


def test_a_private_incidents_page_withholds_its_title(
    services: Services, confluence: ConfluenceStandIn
) -> None:
    secret = 'Chatbot repeats the CFO\'s "card" numbers'
    incident = open_incident(services, title=secret, private=True)
    wiki.publish(services, str(incident.channel_id), ALICE, Replies())
    (page,) = confluence.pages.values()
    assert page.title == f"Post-mortem {incident.reference} (private incident)"
    assert "CFO" not in page.body and "Private incident (title withheld)" in page.body


def test_without_a_tracker_or_wiki_the_buttons_stay_away_and_commands_say_how(
    db: Any, slack: SlackStandIn
) -> None:
    from bot.app.compose import build_services
    from bot.config import load_settings
    from bot.slack.webapi.client import make_client

    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": slack.api_url,
        }
    )
    bare = build_services(settings, db, make_client(settings, max_retries=0))
    try:
        incident = open_incident(bare)
        reply = Replies()
        item_id = add_item(bare, incident, "Alert on nulls --ticket", reply)
        assert reply.texts[-1] == tickets.NOT_SET_UP
        assert [
            b["text"]["text"] for b in card(slack, incident, item_id)["blocks"][-1]["elements"]
        ] == ["Done"]
        published = Replies()
        wiki.publish(bare, str(incident.channel_id), ALICE, published)
        assert published.texts == [wiki.WIKI_NOT_SET_UP]
    finally:
        bare.background.shutdown()
