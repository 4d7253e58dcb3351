"""Incident channel names: ``<prefix>-<yyyymmdd>-<slug of the title>``.

Slack channel names are lowercase letters, digits, hyphens and underscores, at
most 80 characters. Titles are free text in any script, so the slug folds
accents, drops what Slack refuses, and never comes out empty. A slug too long is cut
between words, never inside one or inside a number (``0-8`` is 0.8), and a name
taken already gets a letter, not a digit, so nothing reads as part of a number:
``…-fell-below-0-8-b``, not ``…-fell-below-0-2``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

MAX_LENGTH = 80
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def slugify(title: str) -> str:
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALLOWED.sub("-", folded.lower()).strip("-")


def channel_name(prefix: str, day: date, title: str, attempt: int = 1) -> str:
    """The name to try on the ``attempt``-th try (1 = no suffix, 2 = ``-b``, ...)."""
    head = f"{prefix}-{day:%Y%m%d}"
    suffix = f"-{_letters(attempt)}" if attempt > 1 else ""
    room = MAX_LENGTH - len(head) - len(suffix) - 1
    slug = _cut(slugify(title), room) or "incident"
    return f"{head}-{slug}{suffix}"


def _cut(slug: str, room: int) -> str:
    """``slug`` within ``room`` characters, cut at a hyphen between words (not between
    the digits of one number); a single word longer than the room is cut where it must."""
    if len(slug) <= room:
        return slug
    for end in range(room, 0, -1):
        if slug[end] == "-" and not (slug[end - 1].isdigit() and slug[end + 1 : end + 2].isdigit()):
            return slug[:end].rstrip("-")
    return slug[:room].rstrip("-")


def _letters(attempt: int) -> str:
    """2 -> b, 3 -> c, ..., 26 -> z, 27 -> ba: letters, so a suffix never reads as a digit of
    the title's last number."""
    number, letters = attempt - 1, ""
    while True:
        number, digit = divmod(number, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[digit] + letters
        if number == 0:
            return letters
