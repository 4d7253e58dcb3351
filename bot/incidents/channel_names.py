"""Incident channel names: ``<prefix>-<yyyymmdd>-<slug of the title>``.

Slack channel names are lowercase letters, digits, hyphens and underscores, at
most 80 characters. Titles are free text in any script, so the slug folds
accents, drops what Slack refuses, and never comes out empty. A slug too long is cut
between words, never inside one or inside a number (``0-8`` is 0.8), and a name
taken already gets a letter, not a digit, so nothing reads as part of a number:
``…-fell-below-0-8-b``, not ``…-fell-below-0-2``.

A name taken already keeps every word of the name it stands in for: only the suffix
is added. When that first name is so long that the suffix would pass 80 characters,
the longest word gives up its last letters to make room (``fraudprecisionlow`` becomes
``fraudprecisionlo``); no word is dropped and no number is touched, so the second channel
of an alert about 0.8 does not read ``…-fell-below-b``.
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
    slug = _cut(slugify(title), MAX_LENGTH - len(head) - 1) or "incident"
    if attempt == 1:
        return f"{head}-{slug}"
    suffix = _letters(attempt)
    return f"{head}-{_shorten(slug, MAX_LENGTH - len(head) - len(suffix) - 2)}-{suffix}"


# A word shortened to make room for a suffix keeps at least this many letters.
_KEPT_LETTERS = 4


def _shorten(slug: str, room: int) -> str:
    """``slug`` within ``room`` characters with all its words: the longest word without a
    digit loses letters from its end, one at a time. Only a slug with no such word left to
    shorten loses words, cut as ``_cut`` cuts."""
    words = slug.split("-")
    while len("-".join(words)) > room:
        shortenable = [
            i
            for i, word in enumerate(words)
            if len(word) > _KEPT_LETTERS and not any(c.isdigit() for c in word)
        ]
        if not shortenable:
            return _cut(slug, room)
        longest = max(shortenable, key=lambda i: (len(words[i]), i))
        words[longest] = words[longest][:-1]
    return "-".join(words)


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
