"""Roles by text and controls, severity changes, and a triage run to its proposal."""

from __future__ import annotations

import threading
from typing import Any

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import readable
from tests.conftest import ALICE, BOB, CARA
from tests.e2e.helpers import (
    answer,
    card,
    complete_triage,
    declare,
    holders,
    mark_resolved,
    pick_for_role,
    proposals,
    stored_incidents,
    timeline_kinds,
)
from tests.support import BotProcess

ROLES = {
    "commander": "Incident Commander",
    "ml-lead": "ML Lead",
    "data-lead": "Data Lead",
    "comms-lead": "Comms Lead",
}


# Where the role tests leave things: Bob and Cara hold two roles each.
EVERY_ROLE_HELD = {"commander": BOB, "ml-lead": CARA, "data-lead": BOB, "comms-lead": CARA}


def public_texts(channel: Any) -> list[str]:
    return [m["text"] for m in channel.messages if "ephemeral_to" not in m]


def test_each_role_by_text_then_a_hand_over(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    people = {
        "commander": f"<@{ALICE}|alice>",
        "ml-lead": f"<@{CARA}|cara>",
        "data-lead": "@bob",
        "comms-lead": "@Cara",
    }
    for step, (role, who) in enumerate(people.items(), start=1):
        result = bot.command(f"role {role} {who}", user=ALICE, channel=channel.id)
        assert result.http.status_code == 200 and result.ack_text == ""
        expected = {"@bob": BOB, "@Cara": CARA}.get(who) or who[2:11]
        slack.wait_for(
            lambda r=role, e=expected: f"*{ROLES[r]}*\n<@{e}>" in channel.summary(),
            what=f"{role} on the summary",
        )
        assert expected in channel.members
        assert len(timeline_kinds(bot.database_url, incident.id)) >= 3 + step
        slack.wait_for(
            lambda e=expected, r=role: any(
                m.get("ephemeral_to") == e and f"You are {ROLES[r]}" in m["text"]
                for m in channel.messages
            ),
            what="the private brief",
        )
    topic = f"SEV3 (medium) | Investigating | Incident Commander: <@{ALICE}>"
    assert channel.topic.startswith(topic)

    bot.command(f"role commander <@{BOB}|bob>", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: f"Commander: <@{BOB}>" in channel.topic, what="the new commander")
    assert f"*Incident Commander*\n<@{BOB}>" in channel.summary()
    slack.wait_for(
        lambda: any(
            f"<@{BOB}> takes over as Incident Commander from <@{ALICE}>" in t
            for t in public_texts(channel)
        ),
        what="the hand-over",
    )
    kinds = timeline_kinds(bot.database_url, incident.id)
    assert kinds.count("role_assigned") == 4 and kinds.count("role_handed_over") == 1
    assert holders(bot.database_url, incident.id) == EVERY_ROLE_HELD


def test_role_commands_that_cannot_work_are_answered(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    refused = bot.command("role wizard @cara", user=ALICE, channel=channel.id)
    assert "`wizard` is not a role" in refused.ack_text
    nobody = bot.command("role ml-lead @nobody", user=ALICE, channel=channel.id).wait_reply()
    assert nobody["text"] == "No one in this workspace is called @nobody."
    slack.add_user("U0GONE004", "gone", deleted=True)
    gone = bot.command("role ml-lead <@U0GONE004|gone>", user=ALICE, channel=channel.id)
    assert "cannot hold a role" in gone.wait_reply()["text"]
    assert holders(bot.database_url, incident.id) == {}
    assert "role_assigned" not in timeline_kinds(bot.database_url, incident.id)


def test_every_role_by_the_pinned_controls(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    for role, person in zip(ROLES, (BOB, CARA, BOB, CARA), strict=True):
        pick_for_role(slack, bot.url, channel, role, person, by=ALICE)
        slack.wait_for(
            lambda r=role, p=person: f"*{ROLES[r]}*\n<@{p}>" in channel.summary(),
            what=f"{role} on the summary",
        )
    assert {BOB, CARA} <= channel.members
    assert f"Commander: <@{BOB}>" in channel.topic
    assert holders(bot.database_url, incident.id) == EVERY_ROLE_HELD


def test_two_people_taking_one_role_at_once_leave_one_whole_answer(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    clicks = [
        threading.Thread(
            target=slack.block_action,
            kwargs={
                "bot_url": bot.url,
                "user": who,
                "channel": channel.id,
                "message_ts": channel.pins[0],
                "action": {"action_id": "role_select:ml-lead", "selected_user": who},
            },
        )
        for who in (BOB, CARA)
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    # The first takes the role nobody held; the second finds it held, and asks.
    slack.wait_for(
        lambda: [t for t in public_texts(channel) if "asks for" in t], what="the request"
    )
    stored = holders(bot.database_url, incident.id)["ml-lead"]
    other = CARA if stored == BOB else BOB
    slack.wait_for(lambda: f"*ML Lead*\n<@{stored}>" in channel.summary(), what="summary")
    request = next(t for t in public_texts(channel) if "asks for" in t)
    assert request == f"<@{other}> asks for <@{other}> to be ML Lead."
    kinds = timeline_kinds(bot.database_url, incident.id)
    assert kinds.count("role_assigned") == 1 and kinds.count("handover_requested") == 1
    assert "role_handed_over" not in kinds


def test_severity_by_text_tells_the_channel_and_the_broadcast(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    channel, incident = declare(bot, slack, general)
    assert (
        "`sev9` is not a severity"
        in bot.command("severity sev9", user=ALICE, channel=channel.id).ack_text
    )
    bot.command("severity p0", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: channel.topic.startswith("SEV1 (critical)"), what="topic")
    assert "SEV1 · critical" in channel.summary()
    said = slack.wait_for(lambda: [t for t in public_texts(channel) if "raised the severity" in t])
    assert "Executives are told within 30 minutes" in said[0]
    announced = slack.wait_for(
        lambda: [
            m["text"]
            for m in slack.channels[broadcast].messages
            if "raised from SEV3 to SEV1" in m["text"]
        ]
    )
    assert f"<#{channel.id}>" in announced[0]
    already = bot.command("severity sev1", user=ALICE, channel=channel.id).wait_reply()
    assert already["text"] == "The incident is already SEV1."
    assert timeline_kinds(bot.database_url, incident.id).count("severity_changed") == 1


def open_note_form(bot: BotProcess, slack: SlackStandIn, channel: Any) -> str:
    """Cara clicks *Add a note* on the alert question; returns the opened form's view ID."""
    before = len(slack.calls_to("views.open"))
    slack.block_action(
        bot.url,
        user=CARA,
        channel=channel.id,
        message_ts=card(channel)["ts"],
        action={"action_id": "triage_note:alert"},
    )
    opened = slack.wait_for(lambda: slack.calls_to("views.open")[before:], what="the note form")
    return str(opened[0]["result"]["view"]["id"])


def card_text(channel: Any) -> str:
    return readable(card(channel)["blocks"])


def question_line(channel: Any, question: str) -> str:
    """The triage card's line for one question, as read."""
    return readable([b for b in card(channel)["blocks"] if b.get("block_id") == f"q_{question}"])


def test_a_triage_run_to_an_accepted_proposal_and_a_runbook(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    channel, incident = declare(bot, slack, general)
    assert "_not answered yet_" in card_text(channel)
    answers = [
        ("alert", "yes"),
        ("serving", "yes"),
        ("in_range", "no"),
        ("input_changed", "yes"),
        ("model_changed", "no"),
    ]
    for question, value in answers:
        answer(bot, slack, channel, question, value)
        slack.wait_for(
            lambda q=question: "said <@U0BOB0002>" in question_line(channel, q),
            what=f"{question}",
        )
    slack.wait_for(
        lambda: "points to data drift or a pipeline failure" in card_text(channel),
        what="the data hint",
    )

    # A note on the alert question, through its form.
    slack.submit_view(
        bot.url,
        user=CARA,
        view_id=open_note_form(bot, slack, channel),
        values={"note": "fraud_rate_high fired at 09:12 UTC"},
    )
    slack.wait_for(
        lambda: "fraud_rate_high fired at 09:12 UTC" in card_text(channel),
        what="the note on the card",
    )

    for question, value in [
        ("upstream_healthy", "yes"),
        ("impact", "operations"),
        ("trend", "stable"),
    ]:
        answer(bot, slack, channel, question, value)
    proposal = slack.wait_for(
        lambda: [m for m in channel.messages if m["text"].startswith("Triage proposes")],
        what="the proposal",
    )[0]
    shown = readable(proposal["blocks"])
    assert "Triage proposes SEV2 (high)" in shown and "next step: *investigate*" in shown
    assert "likely cause: *data (Data drift)*" in shown
    runbook = slack.wait_for(
        lambda: [m for m in channel.messages if m["text"] == "Runbook: Data pipeline failure"]
    )[0]

    slack.block_action(
        bot.url,
        user=ALICE,
        channel=channel.id,
        message_ts=proposal["ts"],
        action={"action_id": "triage_accept"},
    )
    slack.wait_for(lambda: channel.topic.startswith("SEV2 (high)"), what="the new severity")
    assert "SEV2 · high" in channel.summary() and "Data drift" in channel.summary()
    slack.wait_for(
        lambda: any(
            "raised from SEV3 to SEV2" in m["text"] for m in slack.channels[broadcast].messages
        )
    )

    slack.block_action(
        bot.url,
        user=BOB,
        channel=channel.id,
        message_ts=runbook["ts"],
        action={
            "action_id": "runbook:data-pipeline-failure:2",
            "selected_options": [{"value": "2"}],
        },
    )
    slack.wait_for(lambda: "runbook_item_checked" in timeline_kinds(bot.database_url, incident.id))
    kinds = timeline_kinds(bot.database_url, incident.id)
    assert kinds.count("triage_answered") == 8 and kinds.count("triage_note") == 1
    for kind in (
        "triage_offered",
        "triage_proposed",
        "severity_changed",
        "triage_proposal_accepted",
        "runbook_offered",
        "runbook_item_checked",
    ):
        assert kind in kinds, kind


def test_stale_cards_and_resolved_incidents_answer_clearly(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    old = card(channel)
    bot.command("triage", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: card(channel)["ts"] != old["ts"], what="a fresh card")
    _, key = slack.block_action(
        bot.url,
        user=BOB,
        channel=channel.id,
        message_ts=old["ts"],
        action={"action_id": "triage_answer:serving:no"},
    )
    stale = slack.wait_for(lambda: slack.responses.get(key), what="the stale-card answer")
    assert "replaced by a newer one" in stale[0]["text"]

    mark_resolved(bot.database_url, incident.id)
    key = answer(bot, slack, channel, "serving", "no")
    closed = slack.wait_for(lambda: slack.responses.get(key), what="the resolved answer")
    assert closed[0]["text"] == "INC-1 is resolved; its triage is closed."
    key = pick_for_role(slack, bot.url, channel, "ml-lead", CARA, by=ALICE)
    refused = slack.wait_for(lambda: slack.responses.get(key))
    assert refused[0]["text"] == "INC-1 is resolved; its roles no longer change."
    assert "triage_answered" not in timeline_kinds(bot.database_url, incident.id)


def test_a_deleted_summarys_controls_still_work_and_bring_it_back(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _ = declare(bot, slack, general)
    old_ts = channel.pins[0]
    slack.delete_message(channel.id, old_ts)
    slack.block_action(
        bot.url,
        user=ALICE,
        channel=channel.id,
        message_ts=old_ts,
        action={"action_id": "role_select:data-lead", "selected_user": BOB},
    )
    slack.wait_for(lambda: channel.pins and channel.pins[0] != old_ts, what="a new pinned summary")
    assert f"*Data Lead*\n<@{BOB}>" in channel.summary()
    assert stored_incidents(bot.database_url)[0].summary_ts == channel.pins[0]


def test_accepting_a_replaced_proposal_is_refused(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    complete_triage(bot, slack, channel)
    first = slack.wait_for(lambda: proposals(channel), what="the first proposal")[0]
    answer(bot, slack, channel, "impact", "harm")
    slack.wait_for(lambda: len(proposals(channel)) == 2, what="a second proposal")
    _, key = slack.block_action(
        bot.url,
        user=ALICE,
        channel=channel.id,
        message_ts=first["ts"],
        action={"action_id": "triage_accept"},
    )
    refused = slack.wait_for(lambda: slack.responses.get(key), what="the refusal")
    assert refused[0]["text"].startswith("That proposal was replaced: triage now proposes SEV1.")
    assert stored_incidents(bot.database_url)[0].severity == "sev3"
    assert "triage_proposal_accepted" not in timeline_kinds(bot.database_url, incident.id)


def test_answering_on_a_deleted_card_is_recorded_and_said(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    gone = card(channel)
    slack.delete_message(channel.id, gone["ts"])
    _, key = slack.block_action(
        bot.url,
        user=BOB,
        channel=channel.id,
        message_ts=gone["ts"],
        action={"action_id": "triage_answer:serving:no"},
    )
    said = slack.wait_for(lambda: slack.responses.get(key), what="the answer about the card")
    assert said[0]["text"].startswith("Your answer is recorded, but this triage card was deleted")
    assert "triage_answered" in timeline_kinds(bot.database_url, incident.id)


def test_a_note_that_cannot_be_added_is_explained(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)

    too_long = slack.submit_view(
        bot.url, user=CARA, view_id=open_note_form(bot, slack, channel), values={"note": "x" * 501}
    )
    assert too_long.json()["errors"]["note"] == "Keep the note to 500 characters (it has 501)."

    view_id = open_note_form(bot, slack, channel)
    mark_resolved(bot.database_url, incident.id)
    slack.submit_view(bot.url, user=CARA, view_id=view_id, values={"note": "fired at 09:12"})
    # Cara is not in the channel, so Slack refuses an ephemeral: she gets a direct message.
    assert CARA not in channel.members
    told = slack.wait_for(lambda: slack.direct_messages(CARA), what="the refusal")
    assert told[0]["text"] == "INC-1 is resolved; its triage is closed."
    assert "triage_note" not in timeline_kinds(bot.database_url, incident.id)


def test_resolving_takes_the_buttons_off_the_triage_proposal(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    """A proposal kept offering its buttons after the incident was resolved."""
    channel, _ = declare(bot, slack, general)
    complete_triage(bot, slack, channel)
    shown = slack.wait_for(lambda: proposals(channel), what="the proposal")[0]
    assert any(b["type"] == "actions" for b in shown["blocks"])
    bot.command("resolve rolled back", user=ALICE, channel=channel.id)
    retired = slack.wait_for(
        lambda: [
            m
            for m in proposals(channel)
            if m["ts"] == shown["ts"] and not any(b["type"] == "actions" for b in m["blocks"])
        ],
        what="the proposal without its buttons",
    )[0]
    assert "is resolved" in str(retired["blocks"]) and "changes nothing now" in str(
        retired["blocks"]
    )
