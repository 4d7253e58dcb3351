"""A drill's injects on its own clock, driven by an injected one: each ``tick`` is the
scheduler's run at the time the test says, so injects minutes apart need no waiting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.slack.flows import drills
from bot.slack.services import Services
from bot.store.models import Incident, utcnow
from tests.conftest import ALICE
from tests.slack_standin import SlackStandIn


def said_in(slack: SlackStandIn, channel: str) -> list[str]:
    return [m["text"] for m in slack.channels[channel].messages if "[DRILL] From" in m["text"]]


def test_injects_arrive_in_order_when_their_drill_time_comes(
    services: Services, slack: SlackStandIn
) -> None:
    answers: list[dict[str, Any]] = []
    drills.start(services, "chatbot-stale-index", ALICE, lambda **m: answers.append(m))
    assert answers and answers[0]["text"].startswith("Drill INC-1 started")
    with services.db.begin() as session:
        incident = session.scalars(select(Incident)).one()
        channel, began = incident.channel_id, incident.drill_started_at
    assert channel is not None and began is not None

    # The scenario: a message at 0 min, an alert at 5 min, a message at 10 min.
    assert drills.tick(services, began) == 1
    (first,) = said_in(slack, channel)
    assert "Support lead" in first and "60-day refunds" in first
    assert drills.tick(services, began + timedelta(minutes=4, seconds=59)) == 0
    assert drills.tick(services, began + timedelta(minutes=5)) == 1
    assert drills.tick(services, began + timedelta(minutes=5)) == 0  # each inject once
    assert drills.tick(services, began + timedelta(minutes=10)) == 1
    texts = [m["text"] for m in slack.channels[channel].messages]
    alert = next(i for i, t in enumerate(texts) if "AnswerGroundednessLow" in t)
    legal = next(i for i, t in enumerate(texts) if "Legal" in t)
    support = next(i for i, t in enumerate(texts) if "Support lead" in t)
    assert support < alert < legal
    assert drills.tick(services, utcnow() + timedelta(hours=1)) == 0  # nothing left
