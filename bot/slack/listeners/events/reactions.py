"""Events API deliveries: :pushpin: reactions put messages on the timeline.

Slack turns off an app's event subscriptions when deliveries keep failing, so
every subscribed event is acknowledged with 200 at once (Bolt does it before
the listener's work); what it means is worked out in the background.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.app import pins
from bot.app.services import from_context

SUBSCRIBED = ("reaction_added", "reaction_removed")


def received(event: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    if event.get("reaction") == pins.PIN_REACTION:
        services.background.submit(pins.from_reaction, services, event)


def register(app: App) -> None:
    for name in SUBSCRIBED:
        app.event(name)(received)
