"""What every tracker offers the bot, whoever it is, and the plain document a ticket's
description is written in before each tracker turns it into its own markup.

A tracker files a ticket under labels (one of them the action item's own, so a filing
retried after a crash can find the ticket it made), finds a ticket by that label, and
says which of some tickets are done. Its failures are ``TrackerRefused``: sorted into
retry (429, 5xx, the network) or final (400, 401, 403, 404, 422) by the client that
knows the tracker's rules, in words for the channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from bot.outbox.failures import Refused
from bot.text import rendering

TRACKERS = {"jira": "Jira", "github": "GitHub"}


class TrackerRefused(Refused):
    """A tracker or the wiki refused or failed a call; the words name it."""


@dataclass(frozen=True)
class Span:
    """A run of plain text, maybe a link or bold. Never markup: each tracker escapes it."""

    text: str
    href: str | None = None
    strong: bool = False


@dataclass(frozen=True)
class Brief:
    """A ticket's description: paragraphs of spans (a paragraph may hold line breaks)."""

    paragraphs: tuple[tuple[Span, ...], ...] = field(default=())


@dataclass(frozen=True)
class TicketRequest:
    title: str
    brief: Brief
    labels: tuple[str, ...]  # the first is the action item's own (``tickets.item_label``)


@dataclass(frozen=True)
class Ticket:
    key: str  # what people call it: FRAUD-12, or owner/repo#34
    url: str | None  # where it is read
    ref: str  # what the tracker is asked about it by: Jira's key, GitHub's number


class Tracker(Protocol):
    name: str  # "Jira", for sentences
    provider: str  # "jira", as stored

    def file(self, request: TicketRequest) -> Ticket: ...

    def find(self, label: str) -> Ticket | None:
        """The ticket filed under ``label`` before, if any."""
        ...

    def done(self, refs: list[str]) -> set[str]:
        """Which of these tickets are done (closed, or in a done status)."""
        ...


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Text safe for any tracker's JSON: no control characters but newlines and tabs."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


def cut(text: str, limit: int) -> str:
    """One line of plain words (a title, a refusal) of at most ``limit`` characters, cut
    at a word with an ellipsis."""
    return rendering.cut(" ".join(rendering.plain(clean(text)).split()), limit)
