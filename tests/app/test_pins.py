"""A :pushpin: made while Slack is failing is owed, retried, and lands once."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import pins
from bot.app.effect_kinds import Pin
from bot.app.services import Services
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.store.models import SlackEffect, TimelineEvent, utcnow


def test_a_pin_survives_slack_failing_to_give_the_message(
    services: Services, slack: SlackStandIn
) -> None:
    slack.add_user("U0DANA004", "dana")
    channel = slack.add_channel("inc-pins", members={"UBOTINCIDENT", "U0DANA004"})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer drift", Severity.SEV3, "U0DANA004"))
        incident.channel_id = channel
        incident.provisioned_at = utcnow()  # set up
    ts = slack.say("U0DANA004", channel, "p99 latency doubled at 09:12")
    event = {
        "type": "reaction_added",
        "user": "U0DANA004",
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel, "ts": ts},
    }
    slack.fail_next("conversations.history", status=200, error="internal_error")
    pins.from_reaction(services, event)

    with services.db.begin() as session:
        assert (
            session.scalars(
                select(TimelineEvent).where(TimelineEvent.kind == "pinned_message")
            ).all()
            == []
        )
        (owed,) = session.scalars(select(SlackEffect).where(SlackEffect.done_at.is_(None)))
        assert owed.kind == Pin.kind and "internal_error" in (owed.last_error or "")
        owed.due_at = utcnow()  # time passes: the sweep drains it
    pins.from_reaction(services, event)  # and Slack redelivers the event meanwhile
    with services.db.begin() as session:
        pinned = session.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == "pinned_message")
        ).all()
        assert [(p.text, p.actor) for p in pinned] == [
            ("p99 latency doubled at 09:12", "U0DANA004")
        ]
        assert session.scalars(select(SlackEffect).where(SlackEffect.done_at.is_(None))).all() == []
