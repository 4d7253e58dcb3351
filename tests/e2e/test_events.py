"""Events API deliveries are acknowledged, so Slack keeps the subscription on."""

from __future__ import annotations

import json

from bot.sandbox import SlackStandIn
from tests.conftest import ALICE
from tests.support import BotProcess


def test_subscribed_events_are_acknowledged(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    for kind in ("reaction_added", "reaction_removed"):
        response = slack.event(
            bot.url,
            {
                "type": kind,
                "user": ALICE,
                "reaction": "pushpin",
                "event_ts": "1.2",
                "item": {"type": "message", "channel": general, "ts": "1.1"},
            },
        )
        assert response.status_code == 200, (kind, response.text)


def test_url_verification_answers_the_challenge(bot: BotProcess, slack: SlackStandIn) -> None:
    body = json.dumps({"token": "t", "challenge": "c0ffee", "type": "url_verification"}).encode()
    headers = {**slack.signed_headers(body), "Content-Type": "application/json"}
    response = slack._http.post(bot.url + "/slack/events", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"challenge": "c0ffee"}
