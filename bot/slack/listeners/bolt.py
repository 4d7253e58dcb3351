"""The Bolt app: Slack's requests reach the listeners through it.

Listeners live beside this module; they parse, acknowledge and hand the work to the
application (``bot.app``), whose services ``bot.app.compose.build_services`` built.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.app.services import Services, from_context
from bot.slack.blocks import forms
from bot.slack.listeners import clicks, register_all
from bot.slack.listeners.commands import incident_command, subcommands
from bot.slack.listeners.keeping import KeepingApp
from bot.slack.webapi.replies import reply_to

log = logging.getLogger(__name__)


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins; it does."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _with_services(services: Services) -> Callable[..., None]:
    def put(context: BoltContext, next: Callable[[], None]) -> None:
        context["services"] = services
        next()

    return put


def _answered_anyway(
    error: Exception, body: dict[str, Any], response: BoltResponse | None, context: BoltContext
) -> None:
    """A listener that failed still answers Slack (200, so the person sees no error page
    and Slack sends nothing again), and the person is told in words, privately."""
    log.error("a Slack listener failed", exc_info=error)
    if response is not None:
        response.status = 200
        response.body = ""
        if isinstance(body, dict) and body.get("type") == "view_submission":
            unreadable = {"response_action": "update", "view": forms.unreadable().to_dict()}
            response.body = json.dumps(unreadable)
            response.headers["content-type"] = ["application/json;charset=utf-8"]
            return
    url = body.get("response_url") if isinstance(body, dict) else None
    if isinstance(url, str) and url:
        services = from_context(context)
        services.background.submit_urgent(functools.partial(reply_to(url), text=clicks.FAILED))


def build_app(services: Services) -> App:
    """A Bolt app in HTTP mode whose listeners acknowledge and return at once.

    Listeners run inline (``process_before_response``): each parses, calls
    ``ack``, hands the rest to ``services.background`` and returns, so the HTTP
    answer leaves as soon as the listener does, with no polling for the ack.
    Every request is stored before its listener runs (``bot.slack.listeners.keeping``).
    Signatures are checked before Bolt sees a request (``bot.runtime.web``; Socket Mode
    has none), so Bolt does not check them again, and a stored request can be dispatched
    again after a crash. Building it calls auth.test, so a wrong token fails here,
    at start-up.
    """
    settings = services.settings
    features = subcommands.features_of(settings)  # the commands offered
    bolt_log = logging.getLogger("bot.slack.bolt")
    bolt_log.addFilter(_QuietTokenWarning())
    app = KeepingApp(
        services,
        lambda kind, body: kind != "command" or incident_command.may_need_work(body, features),
        client=services.client,
        signing_secret=settings.slack_signing_secret,
        process_before_response=True,
        request_verification_enabled=False,
        logger=bolt_log,
    )
    app.use(_with_services(services))
    app.error(_answered_anyway)
    register_all(app)
    return app
