"""The bot's services wired to the Slack stand-in, for tests that call use cases and
listeners directly (imported by the conftest of `tests/app` and `tests/slack`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app.compose import build_services
from bot.app.services import Services
from bot.config import load_settings
from bot.sandbox import SlackStandIn
from bot.slack.webapi.client import make_client
from bot.store.db import Database
from tests.diagnosis.data import DATA_HOST
from tests.guard_site.transaction_guard import no_calls_inside_transactions


@pytest.fixture(autouse=True)
def _no_calls_inside_transactions() -> Iterator[None]:
    with no_calls_inside_transactions():
        yield


@pytest.fixture
def services_env() -> dict[str, str]:
    """Extra settings for ``services``; a test module overrides this to change them."""
    return {}


@pytest.fixture
def services(db: Database, slack: SlackStandIn, services_env: dict[str, str]) -> Iterator[Services]:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": slack.api_url,
            "INCIDENTBOT_FETCH_ALLOW": DATA_HOST,
            **services_env,
        }
    )
    built = build_services(settings, db, make_client(settings, max_retries=0))
    yield built
    built.background.shutdown()
