"""Incident channel names: ``<prefix>-<yyyymmdd>-<slug of the title>``.

Slack channel names are lowercase letters, digits, hyphens and underscores, at
most 80 characters. Titles are free text in any script, so the slug folds
accents, drops what Slack refuses, and never comes out empty.
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
    """The name to try on the ``attempt``-th try (1 = no suffix, 2 = ``-2``, ...)."""
    head = f"{prefix}-{day:%Y%m%d}"
    suffix = f"-{attempt}" if attempt > 1 else ""
    room = MAX_LENGTH - len(head) - len(suffix) - 1
    slug = slugify(title)[:room].rstrip("-") or "incident"
    return f"{head}-{slug}{suffix}"
