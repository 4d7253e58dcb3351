"""``incidentbot verify``, ``incidentbot authority-report`` and ``incidentbot evidence``:
the serious-incident reporting's command line (the timeline's hash chain checked, the
report to the authority written, the preserved evidence exported)."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings
from bot.text.rendering import count

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

    report = commands.add_parser(
        "authority-report",
        help="an incident's report to the authority (serious-incident reporting)",
        description="The report of a serious incident to the authority the regime names "
        "(INCIDENTBOT_REPORTING), from the incident, its assessment and its timeline: the "
        "initial one lists what is still missing; --complete is refused, naming the missing "
        "fields, until nothing is.",
    )
    report.add_argument("incident", metavar="INCIDENT", help="e.g. INC-12 or 12")
    report.add_argument("--complete", action="store_true", help="the complete report")
    report.add_argument(
        "--format",
        choices=("md", "html", "json"),
        help="default: from the -o file's suffix, else md",
    )
    report.add_argument(
        "-o", "--output", metavar="FILE", help="write here instead of standard output"
    )
    report.set_defaults(run=functools.partial(_authority_report, open_database))

    evidence = commands.add_parser(
        "evidence",
        help="export the evidence preserved before an incident's rollbacks and levers",
        description="Each evidence record (the registry's state, the drift and fairness "
        "findings, the triage answers, kept before a change to the AI system of a serious "
        "incident) as a JSON file named by its SHA-256 digest, and SHA256SUMS to check them "
        "with `sha256sum -c`.",
    )
    evidence.add_argument("incident", metavar="INCIDENT", help="e.g. INC-12 or 12")
    evidence.add_argument(
        "-o", "--output", metavar="DIR", required=True, help="the folder to write into"
    )
    evidence.set_defaults(run=functools.partial(_evidence, open_database))


def _incident_id(session: Any, reference: str) -> int:
    """``INC-12``, ``inc-12`` or ``12``, as the other commands take it (read here without
    the post-mortem's imports: ``verify`` should start quickly)."""
    from sqlalchemy import func, select

    from bot.store.models import Incident

    number = reference.strip().upper().removeprefix("INC-")
    if not (number.isascii() and number.isdigit() and len(number) <= 12):
        raise ConfigError(
            f"“{reference.strip()[:40]}” is not an incident's reference; give one like INC-12 "
            "or 12."
        )
    if session.get(Incident, int(number)) is None:
        newest = session.scalar(select(func.max(Incident.id)))
        known = f"the newest is INC-{newest}" if newest else "it holds no incident yet"
        raise ConfigError(f"There is no incident INC-{int(number)} in this database ({known}).")
    return int(number)


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
            f"INC-{incident_id}: the timeline holds ({count(verdict.events, 'event')} as "
            f"written; last hash {verdict.head})."
        )
        return 0
    print(f"INC-{incident_id}: the timeline was altered: {verdict.problem}.", file=sys.stderr)
    return 1


def _format(given: str | None, output: str | None) -> str:
    if given:
        return given
    suffix = Path(output).suffix.lower() if output else ""
    known = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}
    if suffix and suffix not in known:
        raise ConfigError(
            f"The report is written as Markdown (.md), HTML (.html) or JSON (.json), not "
            f"{suffix}; name the file so, or give --format."
        )
    return known.get(suffix, "md")


def _authority_report(
    open_database: OpenDatabase, args: argparse.Namespace, settings: Settings
) -> int:
    from bot.app.reporting import report_for_command_line
    from bot.reporting.report import ReportError
    from bot.store.models import Incident

    fmt = _format(args.format, args.output)
    if args.output and not Path(args.output).parent.is_dir():
        raise ConfigError(f"There is no folder {Path(args.output).parent} to write into.")
    database = open_database(settings)
    try:
        with database.begin() as session:
            incident = session.get(Incident, _incident_id(session, args.incident))
            assert incident is not None
            text = report_for_command_line(session, settings, incident, args.complete, fmt)
    except ReportError as problem:
        print(f"incidentbot: {problem}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"incidentbot: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _evidence(open_database: OpenDatabase, args: argparse.Namespace, settings: Settings) -> int:
    from bot.reporting.evidence import canonical, records

    folder = Path(args.output)
    if not folder.is_dir():
        if not folder.parent.is_dir() or folder.exists():
            raise ConfigError(f"There is no folder {folder.parent} to make {folder.name} in.")
        folder.mkdir()
    database = open_database(settings)
    try:
        with database.begin() as session:
            incident_id = _incident_id(session, args.incident)
            kept = [(r.id, r.digest, canonical(r.content)) for r in records(session, incident_id)]
    finally:
        database.dispose()
    if not kept:
        print(f"incidentbot: INC-{incident_id} has no preserved evidence.", file=sys.stderr)
        return 1
    sums = []
    for number, digest, content in kept:
        name = f"INC-{incident_id}-evidence-{number}-{digest[:12]}.json"
        (folder / name).write_bytes(content)
        sums.append(f"{digest}  {name}\n")
    (folder / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
    written = count(len(kept), "evidence record")
    print(f"incidentbot: wrote {written} and SHA256SUMS to {folder}")
    return 0
