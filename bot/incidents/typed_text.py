"""What a person or an alert typed, made safe to show before it is stored.

Control characters (a NUL, a bell, an escape sequence for a terminal, DEL and the C1
block) and the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069,
which can make a title read backwards in a channel's topic) are taken out; line breaks
and tabs stay where text may have lines. What is left must show something: a text of
nothing but spaces and invisible characters (U+200B, U+2060, U+FEFF, a soft hyphen,
lone combining marks) counts as empty.
"""

from __future__ import annotations

import re
import unicodedata

from bot.text import rendering

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_AND_LINES = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def cleaned(text: str, *, lines: bool) -> str:
    """``text`` without control characters or direction overrides, stripped. With
    ``lines`` False (a title), line breaks and tabs become spaces and runs of space one."""
    if lines:
        return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return " ".join(_CONTROLS_AND_LINES.sub(" ", text).split())


def shows_something(text: str) -> bool:
    """Whether ``text`` has at least one character a reader would see."""
    return any(unicodedata.category(char) not in _INVISIBLE for char in text)


def shortened(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters, cut at a word with an ellipsis when it must
    be cut (a word cut in half reads as a typo)."""
    return rendering.cut(text, limit)
