"""What the end-to-end tests share: declaring through the running bot, clicking its
buttons as Slack would, and reading what it stored straight from its database. What
a person reads in a channel is asked of the stand-in (``Channel.public()``,
``.private_to()``, ``.summary()``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.sandbox import SlackStandIn
from bot.store.db import Database
from bot.store.models import Incident, RoleAssignment, TimelineEvent
from tests.conftest import ALICE, BOB
from tests.samples import TRIAGE_ANSWERS
from tests.support import BotProcess


def stored_counts(database_url: str) -> tuple[int, int]:
    """(incidents, timeline events) in the bot's database."""
    db = Database(database_url)
    try:
        with db.begin() as session:
            incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
            events = session.scalar(select(func.count()).select_from(TimelineEvent)) or 0
            return incidents, events
    finally:
        db.dispose()


def stored_incidents(database_url: str) -> list[Incident]:
    db = Database(database_url)
    try:
        with db.begin() as session:
            return list(session.scalars(select(Incident).order_by(Incident.id)))
    finally:
        db.dispose()


def timeline_kinds(database_url: str, incident_id: int) -> list[str]:
    db = Database(database_url)
    try:
        with db.begin() as session:
            rows = session.scalars(
                select(TimelineEvent.kind)
                .where(TimelineEvent.incident_id == incident_id)
                .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
            )
            return list(rows)
    finally:
        db.dispose()


def pick_for_role(
    slack: SlackStandIn, bot_url: str, channel: Any, role: str, person: str, *, by: str
) -> str:
    """Pick ``person`` in the pinned summary's select for ``role``; returns the reply key."""
    _, key = slack.block_action(
        bot_url,
        user=by,
        channel=channel.id,
        message_ts=channel.pins[0],
        action={"action_id": f"role_select:{role}", "selected_user": person},
    )
    return key


def open_key_times(
    slack: SlackStandIn, bot_url: str, channel: Any, reply: dict[str, Any], user: str
) -> str:
    """Click *Correct key times* on a ``/incident timeline`` reply; returns the reply key."""
    _, key = slack.block_action(
        bot_url,
        user=user,
        channel=channel.id,
        message_ts="",
        message=reply,
        action={"action_id": "key_times_open"},
    )
    return key


def mark_resolved(database_url: str, incident_id: int) -> None:
    """Resolve an incident straight in the database, for tests about what follows."""
    db = Database(database_url)
    try:
        with db.begin() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            incident.status = "resolved"
    finally:
        db.dispose()


def declare(
    bot: BotProcess,
    slack: SlackStandIn,
    general: str,
    text: str = "declare sev3 Churn model precision dropped",
) -> tuple[Any, Incident]:
    reply = bot.command(text, user=ALICE, channel=general).wait_reply()
    stored = stored_incidents(bot.database_url)
    assert stored, f"the declaration was answered, yet no incident is stored: {reply}"
    incident = stored[-1]
    channel = slack.channels[incident.channel_id]
    slack.wait_for(
        lambda: any(m["text"].startswith("Triage for") for m in channel.messages),
        what="the triage card",
    )
    return channel, incident


def card(channel: Any) -> dict[str, Any]:
    return next(m for m in reversed(channel.messages) if m["text"].startswith("Triage for"))


def holders(database_url: str, incident_id: int) -> dict[str, str]:
    db = Database(database_url)
    try:
        with db.begin() as session:
            rows = session.scalars(
                select(RoleAssignment).where(RoleAssignment.incident_id == incident_id)
            )
            return {r.role: r.user_id for r in rows}
    finally:
        db.dispose()


def answer(
    bot: BotProcess, slack: SlackStandIn, channel: Any, question: str, value: str, user: str = BOB
) -> str:
    message = card(channel)
    _, key = slack.block_action(
        bot.url,
        user=user,
        channel=channel.id,
        message_ts=message["ts"],
        action={"action_id": f"triage_answer:{question}:{value}"},
    )
    return key


def complete_triage(bot: BotProcess, slack: SlackStandIn, channel: Any, **overrides: str) -> None:
    answers = {**TRIAGE_ANSWERS, **overrides}
    for question, value in answers.items():
        answer(bot, slack, channel, question, value)


def proposals(channel: Any) -> list[dict[str, Any]]:
    return [m for m in channel.messages if m["text"].startswith("Triage proposes")]


DAN = "U0DAN0004"


def said_to(slack: SlackStandIn, key: str) -> str:
    return str(slack.wait_for(lambda: slack.responses.get(key), what="the answer")[0]["text"])


def actors_of(database_url: str, incident_id: int, kind: str) -> list[str | None]:
    db = Database(database_url)
    try:
        with db.begin() as session:
            return list(
                session.scalars(
                    select(TimelineEvent.actor).where(
                        TimelineEvent.incident_id == incident_id, TimelineEvent.kind == kind
                    )
                )
            )
    finally:
        db.dispose()


def events_of(database_url: str, incident_id: int, kind: str) -> list[TimelineEvent]:
    db = Database(database_url)
    try:
        with db.begin() as session:
            return list(
                session.scalars(
                    select(TimelineEvent).where(
                        TimelineEvent.incident_id == incident_id, TimelineEvent.kind == kind
                    )
                )
            )
    finally:
        db.dispose()


ROUTE = "ml-review"


def prompts(slack: SlackStandIn, broadcast: str) -> list[dict[str, Any]]:
    return [m for m in slack.channels[broadcast].messages if "Declare an incident?" in m["text"]]


def click(slack: SlackStandIn, bot: BotProcess, broadcast: str, ts: str, who: str, what: str):  # type: ignore[no-untyped-def]
    message = next(m for m in slack.channels[broadcast].messages if m["ts"] == ts)
    group = next(
        e["value"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == what
    )
    _, key = slack.block_action(
        bot.url,
        user=who,
        channel=broadcast,
        message_ts=ts,
        action={"action_id": what, "value": group},
    )
    return key


def nudges(channel: Any) -> list[dict[str, Any]]:
    return [m for m in channel.public() if m["text"].startswith("A status update for")]
