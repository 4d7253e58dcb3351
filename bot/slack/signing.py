"""Slack's request signatures, checked before a request's body is trusted or kept.

Slack signs every request it sends: ``v0=`` + HMAC-SHA256 of
``v0:<timestamp>:<body>`` under the app's signing secret, with the timestamp in
``X-Slack-Request-Timestamp``. A request is refused when the headers are
missing or malformed (before its body is read), when its timestamp is more
than five minutes from now, when the signature does not match, and when the
same signed request arrives again within those five minutes (a replay of a
captured request). Replays are remembered by this process.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

WINDOW = 5 * 60  # seconds either side of now that Slack's timestamps may be
MAX_REMEMBERED = 100_000  # signatures kept for replay checks; the oldest go first

_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


class Refused(Exception):
    """Not a request from Slack, or one already handled; the message says which."""


class Replayed(Refused):
    """The same signed request again: handled once already, so it does nothing now."""


class Verifier:
    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret.encode()
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

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
        """Raise Refused unless ``body`` carries ``signature`` and was not seen before."""
        base = b"v0:" + str(moment).encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise Refused("the signature does not match the body")
        now = self._clock()
        with self._lock:
            while self._seen and (
                next(iter(self._seen.values())) < now or len(self._seen) >= MAX_REMEMBERED
            ):
                self._seen.popitem(last=False)
            if signature in self._seen:
                raise Replayed("this signed request was already received")
            self._seen[signature] = moment + WINDOW
