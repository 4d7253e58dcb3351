"""What an ``/incident`` subcommand is: one :class:`Subcommand` declares its name, where
it may be used, its argument grammar, how it is acknowledged, what runs after the
acknowledgement and what ``/incident help`` says of it. The list of them all is
``subcommands.py``; ``incident_command.py`` is the listener that reads it.

A command's text is parsed once, before the acknowledgement (:meth:`Registry.parse`):
the parse is pure (no database, no Slack) and raises ``InvalidInput`` with a sentence
for the person. The parsed form (:class:`Asked`) travels to the work in the background.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.incidents.errors import InvalidInput
from bot.slack.blocks import help as help_blocks
from bot.slack.blocks.help import HelpEntry
from bot.slack.blocks.text import plain_from_slack

if TYPE_CHECKING:
    from bot.app.services import Services
    from bot.slack.webapi.replies import Reply

T = TypeVar("T")


class Where(Enum):
    """Where a subcommand may be typed; one for an incident channel is refused elsewhere
    (after the acknowledgement: it takes the database to know)."""

    ANYWHERE = help_blocks.ANYWHERE
    INCIDENT_CHANNEL = help_blocks.IN_INCIDENT_CHANNEL


@dataclass(frozen=True)
class Call(Generic[T]):
    """A command's work: its parsed arguments, who typed it where, and (for one typed in
    an incident channel) the incident's ID."""

    args: T
    user: str
    channel: str
    command: dict[str, Any]  # what was kept of Slack's request (``_KEPT``)
    incident: int | None = None

    @property
    def incident_id(self) -> int:
        if self.incident is None:
            raise RuntimeError("this command's work runs only in an incident channel")
        return self.incident


Handler = Callable[["Services", Call[T], "Reply"], None]
# Opens a form: it runs on the urgent pool (a trigger ID lasts 3 s) with the parsed
# arguments and Slack's request, and nothing else follows.
FormOpener = Callable[["Services", T, dict[str, Any]], None]


@dataclass(frozen=True)
class Acknowledgement:
    """How a command is answered at once. ``work``: its handler runs afterwards, as the
    stored request; ``form``: a form opens instead; neither: the answer is all (``help``)."""

    text: str | None = None  # mrkdwn, escaped where it was written
    blocks: list[dict[str, Any]] | None = None
    work: bool = True
    form: FormOpener[Any] | None = None

    @property
    def needs_keeping(self) -> bool:
        """False when the acknowledgement answers everything asked: nothing is stored."""
        return self.work or self.form is not None

    def ack_args(self) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        if self.text is not None:
            answer["text"] = self.text
        if self.blocks is not None:
            answer["blocks"] = self.blocks
        return answer


PLAIN = Acknowledgement()


def say(text: str) -> Acknowledgement:
    """Acknowledge with words, then run the work."""
    return Acknowledgement(text=text)


def answer(text: str, blocks: list[dict[str, Any]]) -> Acknowledgement:
    """Answer wholly in the acknowledgement: nothing runs after it."""
    return Acknowledgement(text=text, blocks=blocks, work=False)


def opens(form: FormOpener[Any]) -> Acknowledgement:
    """Acknowledge and open a form on the urgent pool: nothing else runs."""
    return Acknowledgement(work=False, form=form)


def plain_text(args: str) -> str:
    """The default grammar: the arguments as the person typed them (Slack's escaping
    and tokens undone)."""
    return plain_from_slack(args)


def ignored(args: str) -> None:
    """For a command that takes no arguments (anything typed after it is ignored)."""
    return None


def _plain(_: Any) -> Acknowledgement:
    return PLAIN


@dataclass(frozen=True)
class Subcommand(Generic[T]):
    """One ``/incident`` subcommand, declared whole."""

    name: str
    where: Where
    # The help: ``synopsis`` follows ``/incident`` and names its placeholders
    # (``severity <sev>``); ``summary`` is its line in the list; ``description``,
    # ``options`` and ``example`` show in ``/incident help <name>``.
    synopsis: str
    summary: str
    # The grammar: the arguments' text (as Slack sent it) to what the handler takes.
    parse: Callable[[str], T]
    # The work after the acknowledgement; None for a command answered at once.
    run: Handler[T] | None = None
    # How it is acknowledged, given the parsed arguments (at once, before any work).
    acknowledge: Callable[[T], Acknowledgement] = _plain
    description: str = ""
    example: str = ""
    options: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()
    # A feature of the settings (``REPORTING``) without which the command is not offered:
    # absent from ``/incident help``, and refused with ``off`` if typed.
    requires: str | None = None
    off: str = ""
    # What the help says instead where a feature is on: (feature, synopsis, description).
    help_when: tuple[tuple[str, str, str], ...] = ()

    @property
    def help(self) -> HelpEntry:
        """The help with every feature on."""
        return self.help_with(frozenset(f for f, _, _ in self.help_when))

    def help_with(self, features: frozenset[str]) -> HelpEntry:
        """What the help says of this command with ``features`` on."""
        synopsis, description = self.synopsis, self.description
        for feature, when_synopsis, when_description in self.help_when:
            if feature in features:
                synopsis, description = when_synopsis, when_description
        return HelpEntry(
            name=self.name,
            where=self.where.value,
            synopsis=synopsis,
            summary=self.summary,
            description=description,
            example=self.example,
            options=self.options,
            aliases=self.aliases,
        )

    def offered(self, features: frozenset[str]) -> bool:
        return self.requires is None or self.requires in features


@dataclass(frozen=True)
class Asked(Generic[T]):
    """A command as typed, parsed once: what its acknowledgement and its work read."""

    subcommand: Subcommand[T]
    args: str  # the rest of the text, exactly as Slack sent it
    value: T
    acknowledgement: Acknowledgement

    @property
    def name(self) -> str:
        return self.subcommand.name


# The features of the settings a command may require (``Subcommand.requires``).
REPORTING = "reporting"  # serious-incident reporting: INCIDENTBOT_REPORTING names a regime


@dataclass(frozen=True)
class Registry:
    """The subcommands offered with ``features`` on, found by name or alias (case does
    not matter). One that requires a feature that is off is not found, not suggested and
    not listed: :meth:`withheld` names it, for its refusal."""

    subcommands: tuple[Subcommand[Any], ...]
    default: str = "help"  # what ``/incident`` alone means
    features: frozenset[str] = frozenset()
    _by_name: dict[str, Subcommand[Any]] = field(init=False, repr=False, compare=False)
    _withheld: dict[str, Subcommand[Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Subcommand[Any]] = {}
        withheld: dict[str, Subcommand[Any]] = {}
        for sub in self.subcommands:
            if not sub.offered(self.features):
                withheld.update((name, sub) for name in (sub.name, *sub.aliases))
                continue
            for name in (sub.name, *sub.aliases):
                if name in by_name:
                    raise ValueError(f"/incident {name} is declared twice")
                by_name[name] = sub
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_withheld", withheld)

    def __iter__(self) -> Iterator[Subcommand[Any]]:
        """The subcommands offered, in order."""
        return (sub for sub in self.subcommands if sub.offered(self.features))

    def withheld(self, name: str) -> Subcommand[Any] | None:
        """A command that exists but whose feature is off here."""
        return self._withheld.get(name.lower())

    @property
    def names(self) -> Sequence[str]:
        """Every name and alias."""
        return tuple(self._by_name)

    def find(self, name: str) -> Subcommand[Any] | None:
        return self._by_name.get(name.lower())

    def close_to(self, word: str) -> str | None:
        close = difflib.get_close_matches(word.lower(), self.names, n=1)
        return close[0] if close else None

    def parse(self, text: str) -> Asked[Any]:
        """``/incident`` text to its subcommand, parsed arguments and acknowledgement;
        raises InvalidInput with the sentence to answer."""
        stripped = (text or "").strip()
        word, _, rest = stripped.partition(" ") if stripped else (self.default, "", "")
        sub = self.find(word)
        off = self.withheld(word) if sub is None else None
        if off is not None:
            raise InvalidInput(off.off or f"`/incident {off.name}` is not turned on here.")
        if sub is None:
            shown = plain_from_slack(word)[:40]
            close = self.close_to(word)
            hint = f" Did you mean `{close}`?" if close else ""
            raise InvalidInput(
                f"`{shown}` is not an /incident command.{hint} `/incident help` lists them."
            )
        args = rest.strip()
        value = sub.parse(args)
        return Asked(sub, args, value, sub.acknowledge(value))
