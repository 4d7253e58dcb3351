"""The Bolt app: only wiring. Listeners live in ``bot/slack/listeners/``."""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.slack.listeners import register_all
from bot.slack.services import Services

log = logging.getLogger(__name__)


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins; it does."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(services: Services) -> App:
    """A Bolt app in HTTP mode whose listeners acknowledge and return at once.

    Listeners run inline (``process_before_response``): each parses, calls
    ``ack``, hands the rest to ``services.background`` and returns, so the HTTP
    answer leaves as soon as the listener does, with no polling for the ack.
    Bolt verifies every request's signature and timestamp and answers 401 to a
    wrong or stale one before any listener runs. Building it calls auth.test,
    so a wrong token fails here, at start-up.
    """
    settings = services.settings
    bolt_log = logging.getLogger("bot.slack.bolt")
    bolt_log.addFilter(_QuietTokenWarning())
    app = App(
        client=services.client,
        signing_secret=settings.slack_signing_secret,
        process_before_response=True,
        logger=bolt_log,
    )
    register_all(app, services)
    return app
