"""``/incident help``: the list of commands, or one command in full, drawn from the
commands' own declarations (``bot.slack.listeners.commands.subcommands``).

Everything here is written by us, placeholders and all (``<sev>``, ``<column>``), so it
is escaped once, as a whole: a person reads ``<sev>``, and Slack never takes it for a
link. Long lists are cut between lines into as many sections as they need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import Block, SectionBlock

from bot.incidents.severity import Severity
from bot.slack.blocks.kit import MAX_BLOCKS, SECTION_TEXT_MAX, md
from bot.slack.blocks.text import escape, truncate

ANYWHERE = "Anywhere"
IN_INCIDENT_CHANNEL = "In an incident channel"
HEADLINE = "*`/incident` runs ML incidents from Slack.*"
PINNING = (
    "React with :pushpin: to any message in an incident channel (or use the message "
    "shortcut *Add to incident timeline*) to put it on the timeline; take the reaction "
    "away to take it off."
)
MORE = "`/incident help <command>` shows one command in full, e.g. `/incident help drift`."
TEXT_MAX = 4000  # Slack's advice for a message's ``text``; it cuts at 40,000


@dataclass(frozen=True)
class HelpEntry:
    """What ``/incident help`` says of one command. ``synopsis`` follows ``/incident``
    (``declare <sev> <title>``); ``summary`` is the line in the list; the rest shows in
    ``/incident help <name>``. All of it is mrkdwn as we write it, escaped when drawn."""

    name: str
    where: str  # ANYWHERE or IN_INCIDENT_CHANNEL
    synopsis: str
    summary: str
    description: str = ""
    example: str = ""  # a whole command after ``/incident``
    options: tuple[tuple[str, str], ...] = ()  # (as typed, what it does)
    aliases: tuple[str, ...] = ()


def severities() -> str:
    lines = [f"• *{s.label}* ({s.info.name}): {s.info.meaning}" for s in Severity]
    spellings = "Accepted spellings: `sev1`–`sev4`, `SEV1`, and `p0`–`p3` (p0 is SEV1)."
    return "\n".join(["*Severities*", *lines, spellings])


def _line(entry: HelpEntry) -> str:
    return f"• `/incident {entry.synopsis}`: {entry.summary}"


def listing(entries: Sequence[HelpEntry]) -> list[str]:
    """The whole help as mrkdwn paragraphs, unescaped: each becomes a section or more."""
    parts = [HEADLINE]
    for where in (ANYWHERE, IN_INCIDENT_CHANNEL):
        lines = [_line(e) for e in entries if e.where == where]
        if lines:
            parts.append("\n".join([f"*{where}*", *lines]))
    return [*parts, PINNING, severities(), MORE]


def entry_in_full(entry: HelpEntry) -> list[str]:
    """One command: its synopsis, where it works, what it does, its options, an example."""
    also = ", ".join(f"`/incident {a}`" for a in entry.aliases)
    head = f"*`/incident {entry.synopsis}`*\n{entry.where}." + (f" Also {also}." if also else "")
    parts = [head, entry.description or entry.summary]
    if entry.options:
        parts.append("\n".join(["*Options*", *(f"• `{o}`: {what}" for o, what in entry.options)]))
    if entry.example:
        parts.append(f"*Example*: `/incident {entry.example}`")
    return parts


def _sections(parts: Sequence[str]) -> list[str]:
    """Escaped paragraphs packed into as few texts of at most SECTION_TEXT_MAX as they
    fit in, a paragraph too long for one cut between its lines."""
    texts: list[str] = []
    for part in parts:
        for piece in _pieces(escape(part)):
            if texts and len(texts[-1]) + 2 + len(piece) <= SECTION_TEXT_MAX:
                texts[-1] += "\n\n" + piece
            else:
                texts.append(piece)
    return texts


def _pieces(text: str) -> list[str]:
    pieces = [""]
    for line in text.split("\n"):
        line = truncate(line, SECTION_TEXT_MAX)
        if pieces[-1] and len(pieces[-1]) + 1 + len(line) > SECTION_TEXT_MAX:
            pieces.append(line)
        else:
            pieces[-1] = f"{pieces[-1]}\n{line}" if pieces[-1] else line
    return [p for p in pieces if p]


def help_blocks(parts: Sequence[str]) -> list[Block]:
    """Sections for ``parts`` (from :func:`listing` or :func:`entry_in_full`)."""
    blocks: list[Block] = [SectionBlock(text=md(text)) for text in _sections(parts)]
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"the help needs {len(blocks)} sections; Slack shows {MAX_BLOCKS}")
    return blocks


def help_text(parts: Sequence[str]) -> str:
    """The ``text`` beside the blocks: the same words, for notifications and screen readers."""
    text = escape("\n\n".join(parts))
    if len(text) > TEXT_MAX:
        raise ValueError(f"the help's text is {len(text)} characters; keep it to {TEXT_MAX}")
    return text
