"""The web console's incident page shows the reporting clock only while serious-incident
reporting is on: an incident assessed serious while it was on shows no clock once it is
turned off, and the clock's words follow the console's own clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.app import reporting
from bot.app.services import Services
from bot.config import Settings, load_settings
from bot.console.routes import Console
from bot.console.signin import SandboxSignIn
from bot.incidents.declare import Declaration, declare
from bot.incidents.permissions import Reader
from bot.incidents.severity import Severity
from bot.reporting.regimes import Answers
from bot.sandbox import SlackStandIn
from bot.store.models import utcnow
from tests.conftest import ALICE
from tests.support import free_port


@pytest.fixture
def services_env() -> dict[str, str]:
    return {"INCIDENTBOT_REPORTING": "eu-ai-act", "INCIDENTBOT_PROVIDER_NAME": "Acme Payments"}


class _People:
    def reader(self, user: str) -> Reader:
        return Reader(user)

    def names(self, users: object) -> dict[str, str]:
        return {ALICE: "alice"}

    def channel_url(self, channel_id: str) -> str:
        return channel_id


def _console(services: Services, settings: Settings, clock: Callable[[], datetime]) -> Console:
    return Console(
        services.db,
        settings,
        _People(),  # type: ignore[arg-type]
        SandboxSignIn(frozenset({ALICE}), ALICE, "c"),
        clock=clock,
    )


@contextmanager
def _served(consoles: dict[str, Console]) -> Iterator[str]:
    """The consoles over real HTTP on loopback, each under its own path."""
    port = free_port()
    app = Starlette(routes=[Mount(f"/{name}", routes=c.routes()) for name, c in consoles.items()])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the bot's own: any
def test_the_clock_shows_on_the_console_only_with_reporting_on(
    services: Services, slack: SlackStandIn
) -> None:
    slack.add_user(ALICE, "alice")
    channel = slack.add_channel("inc-console-clock", members={"UBOTINCIDENT", ALICE})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer denies loans", Severity.SEV1, ALICE))
        incident.channel_id, incident.provisioned_at = channel, utcnow()
        number = incident.id
    death = Answers(criteria={"death": "yes"}, member_states=("DE",), causal="likely")
    reporting.submit_assessment(services, channel, death, ALICE, lambda **_: None)

    later = utcnow() + timedelta(days=3)
    off_settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-x"})
    consoles = {
        "on": _console(services, services.settings, lambda: later),
        "off": _console(services, off_settings, lambda: later),
    }
    with _served(consoles) as url:
        on = httpx.get(f"{url}/on/incidents/{number}", timeout=10)
        off = httpx.get(f"{url}/off/incidents/{number}", timeout=10)
    assert on.status_code == off.status_code == 200
    assert 'id="reporting"' in on.text and "Serious incident: report due" in on.text
    assert "in 7 days" in on.text  # counted from the console's clock, 3 days on
    assert 'id="reporting"' not in off.text and "Serious incident" not in off.text
    assert "Scorer denies loans" in off.text  # the page itself is there
