"""The guard that fails a test on a Slack or HTTP call inside a database transaction
catches one, in-process and in a bot process."""

from __future__ import annotations

import subprocess
import sys

import pytest
from slack_sdk import WebClient
from sqlalchemy import text

from bot.sandbox import SlackStandIn
from bot.store.db import Database
from tests.guard_site.transaction_guard import CallInsideTransaction, no_calls_inside_transactions
from tests.support import GUARD_SITE


def test_a_call_inside_a_transaction_is_caught(db: Database, slack: SlackStandIn) -> None:
    client = WebClient(token=slack.token, base_url=slack.api_url)
    with no_calls_inside_transactions():
        client.auth_test()  # outside: fine
        with pytest.raises(CallInsideTransaction), db.begin() as session:
            session.execute(text("SELECT 1"))
            client.auth_test()
        client.auth_test()  # and fine again once it is over


def test_bot_processes_load_the_guard() -> None:
    probe = (
        "from slack_sdk.web.base_client import BaseClient as B;"
        "print(B._perform_urllib_http_request.__qualname__)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": GUARD_SITE, "INCIDENTBOT_TEST_GUARD": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "_guarded.<locals>.call"
