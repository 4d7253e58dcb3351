"""``incidentbot verify``, ``incidentbot authority-report`` and ``incidentbot evidence``:
the serious-incident reporting's command line (the timeline's hash chain checked, the
report to the authority written, the preserved evidence exported)."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from bot.store.db import Database

OpenDatabase = Callable[[Settings], "Database"]


def add_parsers(commands: Any, open_database: OpenDatabase) -> None:
    verify = commands.add_parser(
        "verify",
        help="check an incident's timeline against its hash chain",
        description="Recompute the hash chain over the incident's timeline as it is stored "
        "now. Exits 0 when every event is as it was written, 1 naming the first event that "
        "was changed, removed or inserted since.",
    )
    verify.add_argument("incident", metavar="INCIDENT", help="e.g. INC-12 or 12")
    verify.set_defaults(run=functools.partial(_verify, open_database))


def _incident_id(session: Any, reference: str) -> int:
    from bot.documents.postmortem import PostmortemError, find

    try:
        return find(session, reference).id
    except PostmortemError as problem:
        raise ConfigError(str(problem)) from None


def _verify(open_database: OpenDatabase, args: argparse.Namespace, settings: Settings) -> int:
    from bot.reporting.chain import verify

    database = open_database(settings)
    try:
        with database.begin() as session:
            incident_id = _incident_id(session, args.incident)
            verdict = verify(session, incident_id)
    finally:
        database.dispose()
    if verdict.ok:
        print(
            f"INC-{incident_id}: the timeline holds ({verdict.events} events as written; "
            f"last hash {verdict.head})."
        )
        return 0
    print(f"INC-{incident_id}: the timeline was altered: {verdict.problem}.", file=sys.stderr)
    return 1
