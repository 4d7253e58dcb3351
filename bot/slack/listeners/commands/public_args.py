"""The grammar of ``/incident update --public``: what the public is told, with optional
``--status <status>``, ``--title "<public title>"`` and ``--component <key>=<state>``
(repeatable) before the words. Pure; bad input is an InvalidInput that says what to type."""

from __future__ import annotations

import re

from bot.incidents.errors import InvalidInput
from bot.statuspage.publishing import Publication, public_words
from bot.statuspage.states import ComponentState, state_named, status_named

FLAG = "--public"
USAGE = (
    '`/incident update --public [--status identified] [--title "Card payments are slow"] '
    "[--component card-payments=partial] <what customers should know>`"
)
_QUOTED = re.compile(r'^\s*["“”]([^"“”]*)["“”]\s*')


def is_public(args: str) -> bool:
    words = args.split(None, 1)  # the flag may end its line, as a space does
    return bool(words) and words[0].lower() == FLAG


def parse_public(args: str) -> Publication:
    """``args`` as Slack sent them (tokens and escaping kept, so a mention is refused)."""
    rest = args.strip()[len(FLAG) :].strip()
    status = None
    title = None
    components: dict[str, ComponentState] = {}
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        rest = rest.strip()
        if flag == "--title":
            quoted = _QUOTED.match(rest)
            if not quoted:
                raise InvalidInput(f"Put the public title in double quotes. Usage: {USAGE}")
            title = quoted.group(1)
            rest = rest[quoted.end() :]
            continue
        value, _, rest = rest.partition(" ")
        rest = rest.strip()
        try:
            if flag == "--status":
                status = status_named(value)
            elif flag == "--component":
                key, eq, state = value.partition("=")
                if not eq or not key:
                    raise ValueError(
                        f"say the component and its state, e.g. {key or 'card-payments'}=partial"
                    )
                components[key.lower()] = state_named(state)
            else:
                raise ValueError(f"there is no {flag[:30]} option")
        except ValueError as bad:
            said = str(bad).rstrip(".")
            raise InvalidInput(f"{said[:1].upper()}{said[1:]}. Usage: {USAGE}") from None
    if not rest:
        raise InvalidInput(f"Say what customers should know. Usage: {USAGE}")
    public_words(rest, mrkdwn=True)  # a mention or link is refused before anything runs
    if title is not None:
        public_words(title, "The public title", mrkdwn=True)
    return Publication(text=rest, title=title, status=status, components=components or None)
