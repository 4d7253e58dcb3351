"""The Bolt app: only wiring. Listeners live in ``bot/slack/listeners/``."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App

from bot.slack.listeners import register_all
from bot.slack.services import Services

log = logging.getLogger(__name__)


def build_app(services: Services) -> App:
    """A Bolt app in HTTP mode that acknowledges first and works after (lazy listeners).

    Bolt verifies every request's signature and timestamp and answers 401 to a
    wrong or stale one before any listener runs. Building it calls auth.test,
    so a wrong token fails here, at start-up.
    """
    settings = services.settings
    app = App(
        client=services.client,
        signing_secret=settings.slack_signing_secret,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=32, thread_name_prefix="slack"),
        logger=logging.getLogger("bot.slack.bolt"),
    )
    register_all(app, services)
    return app
