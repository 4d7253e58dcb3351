"""JSON from outside, parsed within bounds.

Python's parser takes any nesting its stack allows (and then fails with a
RecursionError), integers up to 4,300 digits (then a ValueError of its own), and
``NaN`` or ``Infinity``, which are not JSON. What arrives from a sender (an alert, a
webhook, a Slack payload) is checked first: nesting no deeper than ``MAX_DEPTH``,
numbers no longer than ``MAX_DIGITS`` characters, strings no longer than
``MAX_STRING``. Anything outside them is ``Unbounded``, a ValueError whose message is
a sentence to give the sender.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

MAX_DEPTH = 64
MAX_DIGITS = 40  # a 128-bit integer has 39; a float's repr at most 24
MAX_STRING = 256 * 1024  # characters in one string, escapes included

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_LONG_NUMBER = re.compile(f"[0-9]{{{MAX_DIGITS + 1}}}")
# What each byte outside strings does to the depth: an opening bracket +1, a closing -1.
_STEP = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1


class Unbounded(ValueError):
    """The text is not JSON, or is JSON outside the bounds; the message says which."""


def loads(text: str | bytes, what: str = "the body") -> Any:
    """Parse ``text`` as JSON within the bounds, or raise Unbounded naming ``what``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise Unbounded(f"{what} is not UTF-8 text") from None
    for string in _STRING.finditer(text):
        if string.end() - string.start() > MAX_STRING:
            raise Unbounded(f"{what} holds a string longer than {MAX_STRING:,} characters")
    outside = _STRING.sub('""', text)
    if _LONG_NUMBER.search(outside):
        raise Unbounded(f"{what} holds a number longer than {MAX_DIGITS} digits")
    steps = _STEP[np.frombuffer(outside.encode(), dtype=np.uint8)]
    if steps.size and int(np.cumsum(steps, dtype=np.int64).max()) > MAX_DEPTH:
        raise Unbounded(f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except Unbounded as problem:
        raise Unbounded(f"{what} holds {problem}") from None
    except (ValueError, RecursionError):
        raise Unbounded(f"{what} is not JSON") from None


def _not_json(name: str) -> Any:
    raise Unbounded(f"{name}, which is not JSON")


def _finite(digits: str) -> float:
    number = float(digits)
    if not math.isfinite(number):
        raise Unbounded(f"a number too large for a float ({digits[:20]})")
    return number
