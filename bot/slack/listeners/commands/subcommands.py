"""Every ``/incident`` subcommand, in the order ``/incident help`` lists them.

To add ``/incident foo``: declare a ``Subcommand`` (``declaration.py`` says what each
field is) beside its kind in ``lifecycle.py``, ``records.py``, ``models_and_data.py``
or ``team.py`` (its argument grammar in ``parsing.py`` if it takes more than words, its
work a call into ``bot.app``), and add it to ``SUBCOMMANDS`` below. The listener, the
acknowledgement and the help follow from the declaration.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Any

from bot.incidents.errors import InvalidInput
from bot.slack.blocks import help as help_blocks
from bot.slack.blocks.kit import render
from bot.slack.blocks.text import plain_from_slack
from bot.slack.listeners.commands.ai_commands import (
    CATCHUP,
    INVESTIGATE,
    POSTMORTEM_WITH_DRAFT,
)
from bot.slack.listeners.commands.declaration import (
    REPORTING,
    Acknowledgement,
    Asked,
    Registry,
    Subcommand,
    Where,
    answer,
)
from bot.slack.listeners.commands.lifecycle import (
    DECLARE,
    LIST,
    PRIVATE,
    RESOLVE,
    ROLE,
    SEVERITY,
    STATUS,
    UPDATE,
)
from bot.slack.listeners.commands.models_and_data import CONTAIN, DRIFT, FAIRNESS, MODEL, ROLLBACK
from bot.slack.listeners.commands.records import (
    ACTION,
    NOTE,
    SHARE_TITLE,
    TIMELINE,
    TRIAGE,
)
from bot.slack.listeners.commands.reporting import ASSESS, AUTHORITY_REPORT
from bot.slack.listeners.commands.team import DRILL, ONCALL, PAGE, STATS

if TYPE_CHECKING:
    from bot.config import Settings


def _help_topic(features: frozenset[str], args: str) -> str | None:
    """``/incident help [command]``: None for the list, else the command's name."""
    word = plain_from_slack(args).strip().split(" ")[0].lower().removeprefix("/incident")
    if not word:
        return None
    offered = registry(features)
    found = offered.find(word)
    if found is not None:
        return found.name
    off = offered.withheld(word)
    if off is not None:
        raise InvalidInput(off.off or f"`/incident {off.name}` is not turned on here.")
    close = offered.close_to(word)
    hint = f" Did you mean `/incident help {close}`?" if close else ""
    raise InvalidInput(f"There is no `/incident {word[:40]}`.{hint} `/incident help` lists them.")


@functools.cache
def _help_answer(features: frozenset[str], topic: str | None) -> Acknowledgement:
    """The help, drawn once per topic and features: the declarations do not change while
    the bot runs."""
    entries = [sub.help_with(features) for sub in registry(features)]
    if topic is None:
        parts = help_blocks.listing(entries)
    else:
        parts = help_blocks.entry_in_full(next(e for e in entries if e.name == topic))
    return answer(help_blocks.help_text(parts), render(help_blocks.help_blocks(parts)))


HELP = Subcommand[str | None](
    name="help",
    where=Where.ANYWHERE,
    synopsis="help [command]",
    summary="this list; with a command, that command in full",
    description=(
        "The commands, a line each; with a command's name, what it does in full, its "
        "options and an example. `/incident` alone is `/incident help`."
    ),
    example="help drift",
    # Drawn per registry: what the help lists depends on the features on (``registry``).
    parse=functools.partial(_help_topic, frozenset()),
    acknowledge=functools.partial(_help_answer, frozenset()),
)


_ORDER: tuple[Subcommand[Any], ...] = (
    # Anywhere
    DECLARE,
    LIST,
    DRILL,
    STATS,
    ONCALL,
    HELP,
    # In an incident channel
    STATUS,
    ROLE,
    SEVERITY,
    TRIAGE,
    UPDATE,
    RESOLVE,
    PRIVATE,
    MODEL,
    ROLLBACK,
    CONTAIN,
    PAGE,
    NOTE,
    ACTION,
    TIMELINE,
    DRIFT,
    FAIRNESS,
    POSTMORTEM_WITH_DRAFT,
    SHARE_TITLE,
    ASSESS,  # serious-incident reporting (INCIDENTBOT_REPORTING)
    AUTHORITY_REPORT,
    INVESTIGATE,
    CATCHUP,
)
ALL_FEATURES = frozenset({REPORTING})


@functools.cache
def registry(features: frozenset[str] = frozenset()) -> Registry:
    """The commands offered with ``features`` on, their help drawn for those features."""
    here = dataclasses.replace(
        HELP,
        parse=functools.partial(_help_topic, features),
        acknowledge=functools.partial(_help_answer, features),
    )
    return Registry(tuple(here if sub is HELP else sub for sub in _ORDER), features=features)


# Every command, with every feature on: what the help can ever list.
SUBCOMMANDS = registry(ALL_FEATURES)


def features_of(settings: Settings) -> frozenset[str]:
    """The features of the settings that commands may require."""
    return frozenset({REPORTING}) if settings.reporting.on else frozenset()


def parse(text: str, features: frozenset[str] = frozenset()) -> Asked[Any]:
    """``/incident`` text, parsed once with ``features`` on: raises InvalidInput with the
    sentence to answer."""
    return registry(features).parse(text)
