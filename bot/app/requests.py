"""What a person asks of a use case, parsed: the arguments of the commands whose
work is more than a word or two. The Slack adapter parses them from a command's text
(``bot.slack.listeners.commands``); the use cases take them as they are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class ActionArgs:
    text: str  # plain text
    owner: str | None  # as typed: <@U123|cara> or @cara
    due: date | None
    ticket: bool = False  # --ticket: file it in the tracker now


@dataclass(frozen=True)
class WindowArgs:
    """Which rows of a data set are compared (``--time-column ts --window 1h --against 7d
    --where model=v3 --until 2026-12-07T03:00Z``), as typed; checked where the data is."""

    time_column: str | None = None
    window: str | None = None
    against: str | None = None
    where: tuple[str, ...] = ()
    until: datetime | None = None  # where the current window ends; None: when asked


@dataclass(frozen=True)
class DriftArgs:
    reference: str
    current: str
    prediction: str | None = None
    target: str | None = None
    skip: tuple[str, ...] = ()
    rows: WindowArgs = field(default_factory=WindowArgs)


@dataclass(frozen=True)
class FairnessArgs:
    reference: str
    current: str
    groups: tuple[tuple[str, ...], ...]
    prediction: str
    label: str | None = None
    favourable: str | None = None
    threshold: float = 0.5
    min_group_size: int | None = None
    rows: WindowArgs = field(default_factory=WindowArgs)


@dataclass(frozen=True)
class StatsArgs:
    """``/incident stats [2026Q4 | <from> <to>] [--share] [--include-drills]``."""

    quarter: str | None = None
    since: str | None = None
    until: str | None = None
    share: bool = False
    include_drills: bool = False


@dataclass(frozen=True)
class PageArgs:
    first: str | None  # a service's name, if the flow knows one by it
    rest: str  # the message after it
    whole: str  # everything, for when the first word names no service
