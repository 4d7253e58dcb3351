"""Slack's request signatures, checked before a request's body is trusted or kept.

Slack signs every request it sends: ``v0=`` + HMAC-SHA256 of
``v0:<timestamp>:<body>`` under the app's signing secret, with the timestamp in
``X-Slack-Request-Timestamp``. A request is refused when the headers are
missing or malformed (before its body is read), when its timestamp is more
than five minutes from now, and when the signature does not match. The same
signed request arriving again within those five minutes (a replay of a captured
request) is refused where requests are stored (``bot.slack.listeners.keeping``), so every
replica refuses it, not only the one that saw it first.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping

WINDOW = 5 * 60  # seconds either side of now that Slack's timestamps may be

_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


class Refused(Exception):
    """Not a request from Slack; the message says why."""


class Verifier:
    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret.encode()
        self._clock = clock

    def check_headers(self, headers: Mapping[str, str]) -> tuple[int, str]:
        """The timestamp and signature, when both are well formed and the timestamp is
        recent; raises Refused otherwise. Needs no body, so it runs before reading one."""
        stamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not stamp or not signature:
            raise Refused("missing Slack signature headers")
        if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
            raise Refused("X-Slack-Request-Timestamp is not a Unix time")
        if not _SIGNATURE.match(signature):
            raise Refused("X-Slack-Signature is not a v0 signature")
        moment = int(stamp)
        if abs(self._clock() - moment) > WINDOW:
            raise Refused("the request's timestamp is more than five minutes from now")
        return moment, signature

    def verify(self, moment: int, signature: str, body: bytes) -> None:
        """Raise Refused unless ``body`` carries ``signature``."""
        base = b"v0:" + str(moment).encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise Refused("the signature does not match the body")
