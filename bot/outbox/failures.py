"""Sorting a failed Slack call into *retry* (the failure will pass) and *final* (it will not).

Slack answers every refusal with an error code. Rate limits, its own outages and
lost connections pass: the call is tried again later. Everything else (a guest
who cannot be invited, an archived channel, a missing scope, a message too long)
gives the same answer however often it is asked, so the work is dead at once,
with words a person can act on.
"""

from __future__ import annotations

import socket
import urllib.error
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError

RETRY_CODES = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
    }
)

# What a final refusal means, for the channel and the command line.
_WORDS = {
    "user_is_restricted": "Slack refuses apps inviting guests",
    "user_is_ultra_restricted": "Slack refuses apps inviting guests",
    "is_archived": "the channel is archived",
    "not_in_channel": "the bot is not a member of that channel; invite it there",
    "channel_not_found": "Slack cannot find that channel (deleted, or the bot cannot see it)",
    "missing_scope": "the app lacks a permission; reinstall it from `incidentbot manifest`",
    "msg_too_long": "the message is longer than Slack allows",
    "invalid_blocks": "Slack refused the message's layout",
    "restricted_action": "a workspace setting forbids it",
    "user_not_found": "Slack does not know that person",
    "user_disabled": "that account is deactivated",
    "cant_invite": "Slack does not let that person be invited",
    "not_authed": "Slack refused the bot's token",
    "invalid_auth": "Slack refused the bot's token",
    "token_revoked": "the bot's token was revoked",
    "account_inactive": "the bot's token belongs to a deactivated account",
}


@dataclass(frozen=True)
class Failure:
    retry: bool
    code: str  # Slack's error code, or the exception's name
    words: str  # what it means, for people
    after: float | None = None  # seconds the other side asked us to wait before retrying

    def text(self) -> str:
        return f"{self.words} ({self.code})" if self.words != self.code else self.code


class Refused(Exception):
    """A service other than Slack (a pager, a tracker) refused or failed a call, already
    sorted by the client that knows its rules: ``retry`` or final, its code, what it means
    in words, and how long it asked us to wait."""

    def __init__(self, words: str, *, retry: bool, code: str, after: float | None = None):
        super().__init__(words)
        self.failure = Failure(retry, code, words, after)


def sort(exc: BaseException) -> Failure:
    """Retry or final, with the code and what it means."""
    if isinstance(exc, Refused):
        return exc.failure
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        if status == 429 or status >= 500:  # the body may not even be JSON
            code = "ratelimited" if status == 429 else f"http_{status}"
            return Failure(True, code, f"Slack answered HTTP {status}")
        code = str(exc.response.get("error") or f"http_{status}")
        if code in RETRY_CODES:
            return Failure(True, code, f"Slack answered {code}")
        words = _WORDS.get(code, f"Slack answered {code}")
        if code == "missing_scope" and exc.response.get("needed"):
            words += f" (it needs {exc.response.get('needed')})"
        return Failure(False, code, words)
    if isinstance(
        exc,
        TimeoutError | socket.timeout | ConnectionError | urllib.error.URLError | OperationalError,
    ):
        return Failure(True, type(exc).__name__, "Slack or the database could not be reached")
    return Failure(False, type(exc).__name__, f"{type(exc).__name__}: {exc}"[:300])
