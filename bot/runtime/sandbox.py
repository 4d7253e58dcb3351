"""``incidentbot sandbox``: the real bot, in one process, against a local Slack.

It is ``serve``'s code path with Slack replaced by the workspace in ``bot/sandbox``:
the bot gets a token and a signing secret made for this run, its Web API calls go to
the local Slack, and what a person does on the page reaches it as signed HTTP
requests to ``/slack/events``, as Slack's would. The outbox, the scheduler, the alert
intake and the database are the ones production uses. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sys
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TextIO

import uvicorn

from bot.app import drills, nudges
from bot.app.services import Services
from bot.config import ConfigError, Settings, load_settings
from bot.console.signin import SandboxSignIn
from bot.runtime.scheduler import Scheduler
from bot.runtime.serve import console_pages, start_bot
from bot.runtime.web import create_app
from bot.sandbox import SlackStandIn, people, snapshot
from bot.sandbox.page import PERSON_COOKIE, Hooks, SandboxPage
from bot.slack.listeners import keeping
from bot.store.migrate import upgrade
from bot.store.models.base import utcnow
from bot.web.hosts import only_loopback

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_DATABASE = "sqlite:///sandbox.db"
# What the sandbox decides itself; the rest of the environment's settings still count.
OWN = (
    "SLACK_",
    "DATABASE_URL",
    "INCIDENTBOT_PAGERDUTY_",
    "INCIDENTBOT_OPSGENIE_",
    "INCIDENTBOT_WEB_",  # the console's viewer is the page's person: nobody signs in
)
NOT_FOR_PRODUCTION = (
    "This is a sandbox: a local Slack in memory (kept in {workspace}) for trying the bot. "
    "It is not for production; to run the bot for a team, see docs/getting-started/"
    "slack-app.md (Create the Slack app)."
)


def workspace_file(database_url: str, given: str | None) -> Path:
    """Where the local workspace is kept: beside a SQLite database, else in the folder
    the sandbox runs in."""
    if given:
        return Path(given)
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        db_path = Path(database_url[len("sqlite:///") :])
        return db_path.with_name(db_path.stem + ".slack.json")
    return Path("sandbox.slack.json")


def data_folder(workspace: Path) -> Path:
    """Where drills write their data sets (and drift and fairness read), unless
    INCIDENTBOT_DATA_DIR says otherwise: beside the workspace."""
    return workspace.parent / "sandbox-data"


def sandbox_settings(
    slack: SlackStandIn,
    bot_url: str,
    database_url: str,
    environ: Mapping[str, str],
    workspace: Path,
) -> Settings:
    kept = {k: v for k, v in environ.items() if not k.startswith(OWN)}
    if "INCIDENTBOT_DATA_DIR" not in kept:  # so a drill's data injects work out of the box
        folder = data_folder(workspace)
        folder.mkdir(parents=True, exist_ok=True)
        kept["INCIDENTBOT_DATA_DIR"] = str(folder)
    kept.setdefault("INCIDENTBOT_ALERT_TOKEN", "sandbox-" + secrets.token_urlsafe(12))
    kept.setdefault("INCIDENTBOT_BROADCAST_CHANNEL", "#incidents")
    kept.setdefault("INCIDENTBOT_DRILL_CHANNEL", "#incident-drills")
    return load_settings(
        {
            **kept,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url,
        }
    )


def later(services: Services) -> Callable[[timedelta], tuple[int, int]]:
    """Send now the reminders and drill injects that would fall due ``ahead`` from now
    (the page's skip): the same ticks the scheduler runs, judging what is due at the
    later time but recording what they send at the time it is sent, so what a person
    does next reads after it on the timeline. Returns how many reminders and how many
    injects were sent."""

    def send(ahead: timedelta) -> tuple[int, int]:
        now = utcnow()
        return nudges.tick(services, now, ahead=ahead), drills.tick(services, now, ahead=ahead)

    return send


def listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"Cannot listen on {HOST}:{port} ({exc.strerror}); pass another --port."
        ) from None
    sock.listen(128)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, which first lets the page's long polls go when told to stop."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_exit()
        super().handle_exit(sig, frame)


def run(
    *, port: int, database_url: str | None, workspace: str | None = None, out: TextIO | None = None
) -> int:
    database_url = database_url or DEFAULT_DATABASE
    kept_in = workspace_file(database_url, workspace)
    sock = listen(port)  # first: a port in use is said before anything is made
    port = sock.getsockname()[1]
    slack = SlackStandIn(
        token="xoxb-sandbox-" + secrets.token_hex(12),
        signing_secret=secrets.token_hex(16),
        keep_calls=10_000,
    ).start()
    try:
        restored = snapshot.load(slack, kept_in)
    except (ValueError, OSError) as exc:
        slack.stop()
        sock.close()
        raise ConfigError(f"Cannot read the sandbox's workspace {kept_in}: {exc}") from None
    if not restored:
        people.furnish(slack)
    bot_url = f"http://{HOST}:{port}"
    settings = sandbox_settings(slack, bot_url, database_url, os.environ, kept_in)
    try:
        logging.getLogger("alembic").setLevel(logging.WARNING)  # a newcomer needs no migration log
        upgrade(database_url)
        db, services, bolt = start_bot(settings)
    except Exception:
        sock.close()
        slack.stop()
        raise
    keeper = snapshot.Keeper(slack, kept_in).start()
    page = SandboxPage(
        slack, bot_url, alert_token=settings.alert_token, hooks=Hooks(later=later(services))
    )
    stream = out or sys.stdout

    def ready() -> None:
        print(f"Sandbox at {bot_url}/", file=stream, flush=True)
        print(NOT_FOR_PRODUCTION.format(workspace=kept_in), file=stream, flush=True)

    def stopped() -> None:
        keeper.stop()  # the workspace as the last request left it
        slack.stop()
        db.dispose()

    viewer = SandboxSignIn(
        frozenset(p.user_id for p in people.DEMO_PEOPLE),
        people.DEMO_PEOPLE[0].user_id,
        PERSON_COOKIE,
    )
    console = console_pages(services, signin=viewer, channel_link="/?channel={channel}")
    web = create_app(
        services,
        bolt,
        Scheduler(services, keeping.again(services, bolt)),
        pages=[*page.routes(), *console],
        ready=ready,
        stopped=stopped,
    )
    server = _Server(
        uvicorn.Config(
            only_loopback(web), log_level="warning", access_log=False, timeout_graceful_shutdown=5
        ),
        on_exit=page.changes.close,
    )
    server.run(sockets=[sock])
    return 0
