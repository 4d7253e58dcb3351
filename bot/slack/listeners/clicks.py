"""What every click listener shares: acknowledge first, then do the work in the
background pool (or in the urgent pool when the click opens a form, which must open
within 3 seconds of it), and read who clicked where."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.app.services import Services, from_context
from bot.slack.webapi.replies import Reply, reply_to

log = logging.getLogger(__name__)

FAILED = "Something went wrong with that, and it is logged; nothing more was done. Try again."

Work = Callable[[Services, dict[str, Any], dict[str, Any], Reply], None]
Opener = Callable[[Services, dict[str, Any], dict[str, Any]], None]
Listener = Callable[[Ack, dict[str, Any], dict[str, Any], BoltContext], None]


def in_background(work: Work) -> Listener:
    """A listener for a click whose work can wait."""

    def on_click(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        services = from_context(context)
        reply = reply_to(body.get("response_url"))
        services.background.submit(told_if_failed, work, services, body, action, reply)

    return on_click


def told_if_failed(work: Callable[..., None], *args: Any) -> None:
    """Run ``work(*args)``; if it fails, the person (the last argument, a reply) is told
    in words instead of being left without an answer."""
    try:
        work(*args)
    except Exception:
        log.exception("a click's work failed")
        args[-1](text=FAILED)


def opening_form(opens: Opener) -> Listener:
    """A listener for a click that opens a form."""

    def on_click(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        services = from_context(context)
        services.background.submit_urgent(
            told_if_failed,
            _opening(opens),
            services,
            body,
            action,
            reply_to(body.get("response_url")),
        )

    return on_click


def _opening(opens: Opener) -> Work:
    return lambda services, body, action, reply: opens(services, body, action)


def starting(prefix: str) -> re.Pattern[str]:
    """Action IDs that carry what was clicked after ``prefix``."""
    return re.compile(f"^{re.escape(prefix)}")


def channel(body: dict[str, Any]) -> str:
    return str((body.get("channel") or {}).get("id", ""))


def actor(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


def message_ts(body: dict[str, Any]) -> str | None:
    """The message the click came from."""
    ts = (body.get("container") or {}).get("message_ts")
    return str(ts) if ts else None


DAMAGED = (
    "That button's data could not be read (it may come from an older version of the bot); "
    "nothing was changed."
)
