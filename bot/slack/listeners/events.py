"""Events API deliveries.

The manifest subscribes to reactions (a :pushpin: will add a message to the
timeline). Slack turns off an app's event subscriptions when deliveries keep
failing, so every subscribed event is acknowledged with 200, acted on or not.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.slack.services import Services

log = logging.getLogger(__name__)

SUBSCRIBED = ("reaction_added", "reaction_removed")


def register(app: App, services: Services) -> None:
    def received(event: dict[str, Any]) -> None:
        # Bolt acknowledges events itself; nothing here acts on reactions yet.
        log.debug("event %s in %s", event.get("type"), (event.get("item") or {}).get("channel"))

    for name in SUBSCRIBED:
        app.event(name)(received)
