"""``incidentbot``: serve, migrate, manifest."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from bot import __version__
from bot.config import ConfigError, Settings, load_settings

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
        settings = load_settings()
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

    manifest = commands.add_parser("manifest", help="print the Slack app manifest (JSON)")
    manifest.add_argument("--url", required=True, help="the bot's public https base URL")
    manifest.set_defaults(run=_manifest)
    return parser


def _migrate(_: argparse.Namespace, settings: Settings) -> int:
    from bot.migrate import upgrade

    upgrade(settings.database_url)
    print("incidentbot: the database is at the newest schema.")
    return 0


def _manifest(args: argparse.Namespace, _: Settings) -> int:
    from bot.manifest import ManifestError, manifest_json

    try:
        print(manifest_json(args.url))
    except ManifestError as problem:
        raise ConfigError(str(problem)) from None
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_slack()
    if args.socket_mode and not settings.slack_app_token:
        raise ConfigError(
            "--socket-mode needs SLACK_APP_TOKEN (an app-level token, xapp-..., with the "
            "connections:write scope; Basic Information > App-Level Tokens)."
        )
    from bot.serve import run

    return run(settings, host=args.host, port=args.port, socket_mode=args.socket_mode)
