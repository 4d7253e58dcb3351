"""``incidentbot``: sandbox, serve, migrate, postmortem, report, manifest, outbox, drill,
drift, fairness."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.runtime import ai_log, drift_command, fairness_command, reporting_commands

if TYPE_CHECKING:
    from bot.store.db import Database

log = logging.getLogger("bot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        # The sandbox makes its own Slack settings; the others must be valid to start.
        settings = None if getattr(args, "own_settings", False) else load_settings()
        result: int = args.run(args, settings)
        return result
    except ConfigError as problem:
        print(f"incidentbot: {problem}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="incidentbot", description="A Slack incident bot for AI and ML failures."
    )
    parser.add_argument("--version", action="version", version=f"incidentbot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sandbox = commands.add_parser(
        "sandbox",
        help="try the bot in a browser against a local Slack (no Slack workspace needed)",
    )
    sandbox.add_argument(
        "--port", type=int, default=3000, help="port on 127.0.0.1 (default 3000; 0 picks one)"
    )
    sandbox.add_argument(
        "--database",
        default=None,
        help="database URL (default sqlite:///sandbox.db in this folder)",
    )
    sandbox.add_argument(
        "--workspace",
        default=None,
        help="file the local Slack is kept in (default: beside a SQLite database)",
    )
    sandbox.set_defaults(run=_sandbox, own_settings=True)

    serve = commands.add_parser("serve", help="run the bot (HTTP mode, or Socket Mode)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "3000")),
        help="port to listen on (default $PORT or 3000)",
    )
    serve.add_argument(
        "--socket-mode",
        action="store_true",
        help="receive Slack traffic over Socket Mode (needs SLACK_APP_TOKEN)",
    )
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="bring the database to the newest schema")
    migrate.set_defaults(run=_migrate)

    postmortem = commands.add_parser(
        "postmortem", help="export an incident's post-mortem (Markdown or HTML)"
    )
    postmortem.add_argument("incident", metavar="INCIDENT", help="e.g. INC-12 or 12")
    postmortem.add_argument(
        "--format", choices=("md", "html"), help="default: from the -o file's suffix, else md"
    )
    postmortem.add_argument(
        "-o", "--output", metavar="FILE", help="write here instead of standard output"
    )
    postmortem.add_argument(
        "--publish",
        action="store_true",
        help="publish it to Confluence (INCIDENTBOT_CONFLUENCE_*): the incident's one page, "
        "a new version each time",
    )
    postmortem.set_defaults(run=_postmortem)

    report = commands.add_parser(
        "report",
        help="the periodic review of all incidents (HTML, Markdown or a CSV incident log)",
        description="Figures for a quarter (default: the one in progress) or a range of "
        "dates, each against the period before. Drills are left out unless asked for.",
    )
    report.add_argument("--quarter", metavar="QUARTER", help="e.g. 2026Q4")
    report.add_argument("--from", dest="since", metavar="DATE", help="first day, e.g. 2026-10-01")
    report.add_argument("--to", dest="until", metavar="DATE", help="last day, e.g. 2026-12-31")
    report.add_argument(
        "--format",
        choices=("html", "md", "csv"),
        help="default: from the -o file's suffix, else md",
    )
    report.add_argument("--include-drills", action="store_true", help="count drills too")
    report.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write here instead of standard output (Markdown: the charts go beside it)",
    )
    report.set_defaults(run=_report)

    manifest = commands.add_parser("manifest", help="print the Slack app manifest (JSON)")
    manifest.add_argument("--url", required=True, help="the bot's public https base URL")
    manifest.set_defaults(run=_manifest)

    outbox = commands.add_parser(
        "outbox",
        help="the Slack work still owed; with --dead, the work refused for good and the "
        "deliveries set aside",
        description="`outbox [--dead]` lists; `outbox retry ID` owes dead work (or a delivery "
        "set aside) again; `outbox drop ID` forgets it.",
    )
    outbox.add_argument("action", nargs="?", choices=("retry", "drop"), help="what to do to ID")
    outbox.add_argument(
        "id",
        nargs="?",
        metavar="ID",
        help="the work's ID, or a delivery set aside (alert:12, pagerduty:3, slack:40)",
    )
    outbox.add_argument("--dead", action="store_true", help="list dead work instead")
    outbox.set_defaults(run=_outbox)

    drill = commands.add_parser(
        "drill",
        help="print a tabletop drill's script of injects (drills run in Slack: /incident drill)",
    )
    drill.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help="e.g. fraud-false-positives; without one, the scenarios are listed",
    )
    drill.add_argument("--dry-run", action="store_true", help="print the script, offline")
    drill.set_defaults(run=_drill)

    drift_command.add_parser(commands)
    fairness_command.add_parser(commands)
    ai_log.add_parser(commands, _database)
    reporting_commands.add_parsers(commands, _database)
    return parser


def _drill(args: argparse.Namespace, settings: Settings) -> int:
    from bot.drills import scenarios

    if args.scenario is None:
        library = scenarios.library(settings.drills_dir)
        width = max(len(name) for name in library)
        print("Drill scenarios (`incidentbot drill NAME --dry-run` prints one's script):")
        for scenario in library.values():
            print(f"  {scenario.name:<{width}}  {scenario.title} ({scenario.severity.label})")
        return 0
    if not args.dry_run:
        print(
            "incidentbot: drills run in Slack (`/incident drill <scenario>`); add --dry-run "
            "to print the script here.",
            file=sys.stderr,
        )
        return 2
    try:
        scenario = scenarios.find(args.scenario, settings.drills_dir)
    except scenarios.ScenarioError as problem:
        print(f"incidentbot: {problem}", file=sys.stderr)
        return 1
    print(scenarios.script(scenario), end="")
    return 0


def _document_format(given: str | None, output: str | None, what: str) -> str:
    """The format asked for, else the one the output file's suffix names, else Markdown;
    a suffix that names neither is refused (a .pdf of Markdown helps nobody)."""
    if given:
        return given
    suffix = Path(output).suffix.lower() if output else ""
    known = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
    if suffix and suffix not in known:
        raise ConfigError(
            f"The {what} writes Markdown (.md) or HTML (.html), not {suffix}; name the file "
            "so, or give --format md or html."
        )
    return known.get(suffix, "md")


def _migrate(_: argparse.Namespace, settings: Settings) -> int:
    from bot.store.migrate import upgrade

    upgrade(settings.database_url)
    print("incidentbot: the database is at the newest schema.")
    return 0


def _postmortem(args: argparse.Namespace, settings: Settings) -> int:
    from bot.documents.postmortem import PostmortemError, find, produce

    if args.publish:
        return _publish(args, settings)
    fmt = _document_format(args.format, args.output, "post-mortem")
    if args.output and not Path(args.output).parent.is_dir():
        raise ConfigError(f"There is no folder {Path(args.output).parent} to write into.")
    database = _database(settings)
    try:
        with database.begin() as session:
            incident_id = find(session, args.incident).id
        names = _names(settings, database, incident_id)
        with database.begin() as session:
            incident = find(session, str(incident_id))
            document, _ = produce(session, incident, fmt, settings.templates_dir, names)
    except PostmortemError as problem:
        print(f"incidentbot: {problem}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    if args.output:
        Path(args.output).write_text(document.text, encoding="utf-8")
        print(f"incidentbot: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(document.text)
    return 0


def _names(settings: Settings, database: Database, incident_id: int) -> dict[str, str]:
    """How a document read here names the incident's people: as the bot last learned them
    from Slack (remembered in the database), and as Slack says now when the bot's token is
    set; IDs only for people never named."""
    from bot.app import people as slack_people
    from bot.incidents import notes
    from bot.store.models import Incident

    with database.begin() as session:
        incident = session.get(Incident, incident_id)
        everyone = notes.people(session, incident) if incident else set()
    names = slack_people.remembered(database, everyone)
    if settings.slack_bot_token and everyone:
        try:
            names.update(slack_people.display_names(settings, everyone))
        except Exception as exc:
            print(
                f"incidentbot: Slack gave no names ({exc}); the remembered ones are shown.",
                file=sys.stderr,
            )
    return names


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    """The same page ``/incident postmortem --publish`` writes; Slack hears of it when the
    bot next performs its owed work (the summary's link, a line in the channel)."""
    from bot.app.compose import wiki_for
    from bot.app.postmortem import published_from_command_line
    from bot.documents import publishing
    from bot.documents.postmortem import PostmortemError, find
    from bot.outbox.failures import Refused

    wiki = wiki_for(settings)
    if wiki is None:
        print(
            "incidentbot: publishing is not set up; set INCIDENTBOT_CONFLUENCE_URL, _EMAIL, "
            "_TOKEN and _SPACE.",
            file=sys.stderr,
        )
        return 2
    database = _database(settings)
    try:
        with database.begin() as session:
            incident = find(session, args.incident)
            incident_id, drill = incident.id, incident.drill
        if drill:
            print("incidentbot: a drill's post-mortem is not published.", file=sys.stderr)
            return 2
        names = _names(settings, database, incident_id)
        outcome = publishing.publish(
            database,
            wiki,
            incident_id,
            names,
            None,
            settings.templates_dir,
            published_from_command_line,
            awareness=settings.reporting.on,
        )
    except (PostmortemError, Refused) as problem:
        print(f"incidentbot: {problem}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    print(f"incidentbot: {outcome.title}, version {outcome.version}: {outcome.url or '(no link)'}")
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.incidents.errors import InvalidInput
    from bot.review import figures, period, render
    from bot.store.models import utcnow

    output = Path(args.output) if args.output else None
    fmt = args.format or (output.suffix.lstrip(".").lower() if output else "md")
    if fmt not in render.FORMATS:
        print(f"incidentbot: cannot tell the format from {output}; add --format.", file=sys.stderr)
        return 2
    if output is not None and not output.parent.is_dir():
        print(f"incidentbot: there is no folder {output.parent} to write into.", file=sys.stderr)
        return 2
    now = utcnow()
    try:
        chosen = period.choose(
            quarter=args.quarter, since=args.since, until=args.until, today=now.date()
        )
    except InvalidInput as problem:
        print(f"incidentbot: {problem}", file=sys.stderr)
        return 2
    database = _database(settings)
    try:
        review = figures.make(
            database,
            chosen,
            settings.status_update_every,
            now,
            include_drills=args.include_drills,
        )
    finally:
        database.dispose()
    try:
        report = render.produce(
            review, fmt, settings.templates_dir, charts=bool(output) or fmt != "md"
        )
    except render.ReportError as problem:
        print(f"incidentbot: {problem}", file=sys.stderr)
        return 1
    if output is None:
        sys.stdout.write(report.text)
        return 0
    output.write_text(report.text, encoding="utf-8")
    written = [str(output)]
    if fmt == "md":
        for name, png in report.charts.items():
            chart = output.with_name(render.chart_filename(review, name))
            chart.write_bytes(png)
            written.append(str(chart))
    print(f"incidentbot: wrote {', '.join(written)}", file=sys.stderr)
    return 0


SANDBOX_DATABASE = "sandbox.db"  # where `incidentbot sandbox` keeps its incidents


def _database(settings: Settings) -> Database:
    """The database a reading command reads: the one DATABASE_URL names; without it, the
    default file, or the sandbox's when that is the one in this folder. A SQLite file that
    does not exist is never made by reading it."""
    from sqlalchemy.engine import make_url

    from bot.config import DEFAULT_DATABASE_URL
    from bot.store.db import Database
    from bot.store.migrate import is_current

    url = settings.database_url
    if not os.environ.get("DATABASE_URL", "").strip() and url == DEFAULT_DATABASE_URL:
        default = Path(make_url(url).database or "")
        if not default.exists() and Path(SANDBOX_DATABASE).exists():
            url = f"sqlite:///{SANDBOX_DATABASE}"
            print(
                f"incidentbot: reading the sandbox's {SANDBOX_DATABASE} (no DATABASE_URL is "
                "set and there is no incidentbot.db here).",
                file=sys.stderr,
            )
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(str(file)).exists():
        raise ConfigError(
            f"There is no database at {file}: set DATABASE_URL to the bot's (the sandbox's "
            f"is sqlite:///{SANDBOX_DATABASE} in the folder it ran in), or, for a new one, run "
            "`incidentbot migrate` first."
        )
    # Checking the schema is not news on a command that only reads.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    if not is_current(url):
        raise ConfigError(
            "The database is not at the newest schema; run `incidentbot migrate` first, with "
            "the same DATABASE_URL as the bot."
        )
    return Database(url)


def _outbox(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import set_aside
    from bot.outbox import admin

    if args.action and args.id is None:
        raise ConfigError(f"`incidentbot outbox {args.action}` needs the work's ID.")
    if args.id is not None and not args.action:
        raise ConfigError("Say what to do with it: `incidentbot outbox retry ID` or `drop ID`.")
    if args.id is not None and not (args.id.isdigit() or set_aside.is_reference(args.id)):
        raise ConfigError(
            f"{args.id[:40]!r} is not an ID: give the number `outbox --dead` lists, or a "
            "delivery's reference like alert:12, pagerduty:3 or slack:40."
        )
    database = _database(settings)
    try:
        if args.action:
            return _outbox_act(database, args.action, args.id)
        rows = admin.listing(database, dead=args.dead)
        aside = set_aside.listing(database) if args.dead else []
    finally:
        database.dispose()
    if not rows and not aside:
        print("No dead work." if args.dead else "Nothing is owed to Slack.")
        return 0
    for row in rows:
        when = row.dead_at if args.dead else row.due_at
        label = "dead since" if args.dead else "due"
        error = f"  {row.error}" if row.error else ""
        print(
            f"{row.id:>7}  {row.incident:<9} {row.kind:<13} attempts {row.attempts:<3} "
            f"{label} {when:%Y-%m-%d %H:%M:%S} UTC{error}"
        )
    if aside:
        print("Deliveries set aside after failing (retry or drop them by reference):")
    for kept in aside:
        error = f"  {kept.error}" if kept.error else ""
        print(
            f"{kept.reference:>15}  {kept.what}, attempts {kept.attempts}, received "
            f"{kept.received_at:%Y-%m-%d %H:%M:%S} UTC{error}"
        )
    return 0


def _outbox_act(database: Database, action: str, given: str) -> int:
    from bot.app import set_aside
    from bot.outbox import admin

    if set_aside.is_reference(given):
        act = set_aside.retry if action == "retry" else set_aside.drop
        if not act(database, given):
            print(f"incidentbot: no delivery set aside as {given}.", file=sys.stderr)
            return 1
        did = "is owed again; the bot tries it within 10 s" if action == "retry" else "is dropped"
        print(f"incidentbot: {given} {did}.")
        return 0
    work_id = int(given)
    perform, missing, done = {
        "retry": (admin.retry, "dead work", "is owed again; the bot performs it within 30 s"),
        "drop": (admin.drop, "owed or dead work", "is dropped; it will not be performed"),
    }[action]
    if not perform(database, work_id):
        print(f"incidentbot: no {missing} with ID {work_id}.", file=sys.stderr)
        return 1
    print(f"incidentbot: work {work_id} {done}.")
    return 0


def _manifest(args: argparse.Namespace, _: Settings) -> int:
    from bot.runtime.manifest import ManifestError, manifest_json

    try:
        print(manifest_json(args.url))
    except ManifestError as problem:
        raise ConfigError(str(problem)) from None
    return 0


def _sandbox(args: argparse.Namespace, _: None) -> int:
    from bot.runtime.sandbox import run

    return run(port=args.port, database_url=args.database, workspace=args.workspace)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_slack()
    if args.socket_mode and not settings.slack_app_token:
        raise ConfigError(
            "--socket-mode needs SLACK_APP_TOKEN (an app-level token, xapp-..., with the "
            "connections:write scope; Basic Information > App-Level Tokens)."
        )
    from bot.runtime.serve import run

    return run(settings, host=args.host, port=args.port, socket_mode=args.socket_mode)
