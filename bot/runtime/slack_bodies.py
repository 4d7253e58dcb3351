"""The shape of a signed request from Slack, checked before Bolt parses it.

Slack sends three shapes: a form with ``command=`` (a slash command), a form with
``payload=`` holding a JSON object (clicks, form submissions, shortcuts), and a JSON
object (Events API callbacks, URL verification, rate-limit notices). Anything else,
even correctly signed (a bug in a proxy, a hand-made request), is answered 400 with
a sentence instead of reaching a parser that would fail with a traceback.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from bot.net import bounded_json


class Malformed(ValueError):
    """The body is not one of Slack's shapes; the message says what is wrong."""


def check_shape(body: bytes, content_type: str) -> str:
    """The request's type (``command``, the payload's or event's ``type``), or Malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the body is not UTF-8 text") from None
    if "json" in content_type.lower() or text.lstrip().startswith(("{", "[")):
        return _type_of(_json(text, "the body"), "the body")
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise Malformed("the body is neither a form nor JSON") from None
    if "payload" in form:
        return _type_of(_json(form["payload"][0], "payload"), "payload")
    if form.get("command", [""])[0]:
        return "command"
    if form.get("ssl_check"):
        return "ssl_check"
    raise Malformed("a form from Slack carries a command or a payload, and this has neither")


def _json(text: str, what: str) -> Any:
    try:
        return bounded_json.loads(text, what)
    except bounded_json.Unbounded as problem:
        raise Malformed(str(problem)) from None


def _type_of(value: Any, what: str) -> str:
    if not isinstance(value, dict):
        raise Malformed(f"{what} is JSON but not an object")
    kind = value.get("type")
    if not isinstance(kind, str) or not kind:
        raise Malformed(f"{what} does not say its type")
    return kind
