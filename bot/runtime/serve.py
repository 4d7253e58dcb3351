"""Start-up for ``incidentbot serve``: check the schema and the token, then listen."""

from __future__ import annotations

import gc
import logging
from typing import Any

import uvicorn
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from starlette.routing import BaseRoute

from bot.app.compose import build_services
from bot.app.services import Services
from bot.config import ConfigError, Settings
from bot.console.routes import Console, console_off
from bot.console.signin import SignIn, SlackSignIn
from bot.console.site import console_site
from bot.runtime.scheduler import Scheduler
from bot.runtime.web import create_app
from bot.slack.listeners import keeping
from bot.slack.listeners.bolt import build_app
from bot.slack.webapi.client import make_client
from bot.slack.webapi.readers import SLACK_CHANNEL_LINK, SlackReaders
from bot.store.db import Database
from bot.store.migrate import is_current

log = logging.getLogger(__name__)


def run(settings: Settings, *, host: str, port: int, socket_mode: bool) -> int:
    db, services, bolt = start_bot(settings)
    scheduler = Scheduler(services, keeping.again(services, bolt))
    pages = console_pages(services)
    if socket_mode:
        # websocket-client's transport, not slack_sdk's built-in one: the built-in client
        # notices a connection that dropped without a word only after four missed pongs
        # (40 s without events); this one reconnects as soon as the socket closes.
        from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler

        handler = SocketModeHandler(bolt, settings.slack_app_token)
        handler.connect()  # type: ignore[no-untyped-call]  # Slack traffic over the socket; HTTP still serves alerts and health
        web = create_app(services, None, scheduler, pages=pages, stopped=db.dispose)
    else:
        web = create_app(services, bolt, scheduler, pages=pages, stopped=db.dispose)
    # What start-up built lives as long as the process: kept out of the collector's full
    # passes, which otherwise stopped every thread for over 100 ms at a time under load.
    gc.freeze()
    log.info("incidentbot listening on %s:%s", host, port)
    uvicorn.run(web, **server_options(host, port))
    return 0


# How long an idle connection is kept open for the next request. uvicorn's own default
# (5 s) closes connections that a proxy in front (a cloud load balancer keeps them 60 s)
# or a client pool may be sending on at that very moment: the request is lost with
# "Server disconnected" (now and then under the declare benchmark, whose client pool keeps
# them 5 s too). Longer than the proxies', so the side that closes an idle connection is
# the side that would reuse it.
KEEP_ALIVE_SECONDS = 75


def server_options(host: str, port: int) -> dict[str, Any]:
    """uvicorn's options for ``serve``."""
    return {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
    }


def start_bot(settings: Settings) -> tuple[Database, Services, App]:
    """The bot's parts, checked: the schema is current and Slack takes the token."""
    try:
        current = is_current(settings.database_url)
    except Exception as exc:
        raise ConfigError(
            f"Cannot open the database at DATABASE_URL ({type(exc).__name__}: {exc})."
        ) from None
    if not current:
        raise ConfigError(
            "The database is not at the newest schema: run `incidentbot migrate` first "
            "(the Procfile's release step does this on deploy)."
        )
    db = Database(settings.database_url)
    services = build_services(settings, db, make_client(settings))
    try:
        bolt = build_app(services)
    except (BoltError, SlackApiError) as exc:
        raise ConfigError(
            f"Slack refused SLACK_BOT_TOKEN at {settings.slack_api_url} ({exc}). Copy the Bot "
            "User OAuth Token (xoxb-...) from your app's OAuth & Permissions page."
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"Cannot reach the Slack API at {settings.slack_api_url} ({exc}); check "
            "SLACK_API_URL and the network."
        ) from None
    return db, services, bolt


def console_pages(
    services: Services, *, signin: SignIn | None = None, channel_link: str = SLACK_CHANNEL_LINK
) -> list[BaseRoute]:
    """The web console's routes, signed in with Slack (or ``signin``, the sandbox's); off,
    with pages that say how to turn it on, while its settings are unset."""
    settings = services.settings
    if signin is None and settings.web is None:
        return console_off()
    try:
        team = str(services.client.auth_test()["team_id"])
    except (SlackApiError, OSError) as exc:
        raise ConfigError(f"Slack did not say which workspace the bot is in ({exc}).") from None
    site = console_site()
    if signin is None:
        assert settings.web is not None
        signin = SlackSignIn(settings.web, settings.slack_api_url, team, site, services.db)
    people = SlackReaders(services.client, services.responders, team, channel_link=channel_link)
    return Console(services.db, settings, people, signin, site=site).routes()
