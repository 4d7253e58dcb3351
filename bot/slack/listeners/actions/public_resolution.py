"""The *Publish the resolution* button offered when a published incident is resolved."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.app import status_page
from bot.app.services import Services
from bot.slack.blocks.status_page_blocks import PUBLISH_RESOLUTION
from bot.slack.listeners import clicks
from bot.slack.webapi.replies import Reply


def _publish(services: Services, body: dict[str, Any], _: dict[str, Any], reply: Reply) -> None:
    status_page.publish_resolution(services, clicks.channel(body), clicks.actor(body), reply)


on_publish = clicks.in_background(_publish)


def register(app: App) -> None:
    app.action(PUBLISH_RESOLUTION)(on_publish)
