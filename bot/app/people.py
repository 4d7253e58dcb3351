"""People as Slack names them: asked of Slack for what the bot writes, remembered in the
database for what is read outside Slack (the command line's exports)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.incidents import known_names, notes
from bot.slack.webapi import notify
from bot.slack.webapi.client import make_client
from bot.store.db import Database
from bot.store.models import Incident

if TYPE_CHECKING:
    from bot.app.effect_kinds import LearnNames
    from bot.app.services import Services


def names_for(services: Services, users: Iterable[str]) -> dict[str, str]:
    """Display names asked of Slack (outside any transaction), and remembered; a person
    Slack does not answer for keeps the name remembered before, if any."""
    wanted = set(users)
    if not wanted:
        return {}
    asked = notify.display_names(services.client, wanted)
    with services.db.begin() as session:
        if asked:
            known_names.remember(session, asked)
        return {**known_names.lookup(session, wanted - set(asked)), **asked}


def learn(services: Services, incident_id: int, effect: LearnNames) -> None:
    """The effect owed on resolution: the names of everyone the incident's documents name,
    so that an export from the command line shows them."""
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            return
        people = notes.people(session, incident)
    names_for(services, people)


def remembered(db: Database, users: Iterable[str]) -> dict[str, str]:
    with db.begin() as session:
        return known_names.lookup(session, users)


def display_names(settings: Settings, people: set[str]) -> dict[str, str]:
    """Display names asked of Slack with the bot's token; a person Slack does not answer
    for is left out, so the document shows their ID."""
    return notify.display_names(make_client(settings), people)
