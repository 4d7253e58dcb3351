"""``incidentbot`` as a person runs it: real subprocesses, real exit codes and messages."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bot.sandbox import SlackStandIn
from tests.support import free_port
from tests.support import run_cli as run

REPO = Path(__file__).resolve().parents[2]


def test_serve_without_credentials_says_what_is_missing_and_how_to_get_it(tmp_path: Path) -> None:
    result = run("serve", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode != 0
    assert "Missing SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in result.stderr
    assert "incidentbot manifest --url" in result.stderr
    assert "Traceback" not in result.stderr


def test_manifest_has_the_command_interactivity_events_and_scopes() -> None:
    result = run("manifest", "--url", "https://bot.example.com/")
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    events_url = "https://bot.example.com/slack/events"
    # One name for the app, as the README, the command line and the bot user spell it.
    assert manifest["display_information"]["name"] == "incidentbot"
    assert manifest["features"]["bot_user"]["display_name"] == "incidentbot"
    command = manifest["features"]["slash_commands"][0]
    assert command["command"] == "/incident" and command["url"] == events_url
    assert command["should_escape"] is True
    settings = manifest["settings"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": events_url}
    assert settings["event_subscriptions"]["request_url"] == events_url
    (shortcut,) = manifest["features"]["shortcuts"]
    assert shortcut == {
        "name": "Add to incident timeline",
        "type": "message",
        "callback_id": "add_to_timeline",
        "description": "Put this message on the incident's timeline",
    }
    assert settings["event_subscriptions"]["bot_events"] == ["reaction_added", "reaction_removed"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "channels:manage", "pins:write", "users:read"} <= scopes


def test_manifest_refuses_a_url_slack_cannot_call() -> None:
    result = run("manifest", "--url", "http://localhost:3000")
    assert result.returncode == 2 and "https" in result.stderr


def test_migrate_is_repeatable_and_serve_refuses_an_old_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bot.db"
    creds = {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s", "DATABASE_URL": url}
    refused = run("serve", "--port", str(free_port()), **creds)
    assert refused.returncode == 2
    assert "run `incidentbot migrate` first" in refused.stderr
    for _ in range(2):
        migrated = run("migrate", DATABASE_URL=url)
        assert migrated.returncode == 0, migrated.stderr
        assert "newest schema" in migrated.stdout


def test_serve_with_a_token_slack_refuses_explains_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bot.db"
    assert run("migrate", DATABASE_URL=url).returncode == 0
    with SlackStandIn() as slack:
        result = run(
            "serve",
            "--port",
            str(free_port()),
            DATABASE_URL=url,
            SLACK_API_URL=slack.api_url,
            SLACK_BOT_TOKEN="xoxb-wrong",
            SLACK_SIGNING_SECRET="s",
        )
    assert result.returncode == 2
    assert "Slack refused SLACK_BOT_TOKEN" in result.stderr and "invalid_auth" in result.stderr


def test_python_dash_m_bot_is_the_same_program() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("incidentbot ")


def test_socket_mode_without_an_app_token_says_how_to_get_one(tmp_path: Path) -> None:
    result = run(
        "serve",
        "--socket-mode",
        DATABASE_URL=f"sqlite:///{tmp_path}/x.db",
        SLACK_BOT_TOKEN="xoxb-x",
        SLACK_SIGNING_SECRET="s",
    )
    assert result.returncode == 2
    assert "--socket-mode needs SLACK_APP_TOKEN" in result.stderr
    assert "connections:write" in result.stderr


def test_outbox_says_what_is_wrong_with_a_call(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bot.db"
    unmigrated = run("outbox", DATABASE_URL=url)
    assert unmigrated.returncode == 2 and "run `incidentbot migrate` first" in unmigrated.stderr
    assert run("migrate", DATABASE_URL=url).returncode == 0
    for args, code, said in (
        (("outbox", "retry"), 2, "`incidentbot outbox retry` needs the work's ID."),
        (("outbox", "5"), 2, "invalid choice: '5'"),
        (("outbox", "retry", "5"), 1, "no dead work with ID 5."),
        (("outbox", "drop", "5"), 1, "no owed or dead work with ID 5."),
        (("outbox", "retry", "pagerduty:5"), 1, "no delivery set aside as pagerduty:5."),
        (("outbox", "retry", "INC-5"), 2, "'INC-5' is not an ID: give the number"),
    ):
        result = run(*args, DATABASE_URL=url)
        assert result.returncode == code and said in result.stderr, (args, result.stderr)
        assert "INFO alembic" not in result.stderr and "Traceback" not in result.stderr
    listed = run("outbox", "--dead", DATABASE_URL=url)
    assert listed.returncode == 0 and listed.stdout.strip() == "No dead work."
    assert run("outbox", DATABASE_URL=url).stdout.strip() == "Nothing is owed to Slack."


def test_a_delivery_set_aside_is_listed_with_its_error_and_can_be_owed_again(
    tmp_path: Path,
) -> None:
    from bot.store.db import Database
    from bot.store.models import PagerDelivery, utcnow

    url = f"sqlite:///{tmp_path}/bot.db"
    assert run("migrate", DATABASE_URL=url).returncode == 0
    database = Database(url)
    with database.begin() as session:
        session.add(
            PagerDelivery(
                webhook_id="W1",
                body="{}",
                attempts=5,
                last_error="RuntimeError: the database refused the change",
                dead_at=utcnow(),
            )
        )
    database.dispose()
    listed = run("outbox", "--dead", DATABASE_URL=url)
    assert listed.returncode == 0
    assert "Deliveries set aside after failing" in listed.stdout
    assert "pagerduty:1  a PagerDuty delivery, attempts 5" in listed.stdout
    assert "RuntimeError: the database refused the change" in listed.stdout
    again = run("outbox", "retry", "pagerduty:1", DATABASE_URL=url)
    assert again.returncode == 0 and "pagerduty:1 is owed again" in again.stdout
    assert run("outbox", "--dead", DATABASE_URL=url).stdout.strip() == "No dead work."


def test_after_the_sandbox_the_command_line_reads_its_database_and_never_makes_one(
    tmp_path: Path,
) -> None:
    """`incidentbot report` after trying the sandbox said the database was not migrated
    (it looked for incidentbot.db, and made an empty one)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env = {k: v for k, v in env.items() if not k.startswith(("SLACK_", "INCIDENTBOT_"))}

    def incidentbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    nothing = incidentbot("report")
    assert nothing.returncode == 2 and "There is no database at incidentbot.db" in nothing.stderr
    assert not (tmp_path / "incidentbot.db").exists()  # reading made nothing
    assert run("migrate", DATABASE_URL=f"sqlite:///{tmp_path}/sandbox.db").returncode == 0
    found = incidentbot("report")
    assert found.returncode == 0, found.stderr
    assert "reading the sandbox's sandbox.db" in found.stderr
    assert found.stdout.startswith("# ")
    assert not (tmp_path / "incidentbot.db").exists()


def test_drill_alone_lists_the_scenarios() -> None:
    listed = run("drill")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("Drill scenarios")
    assert "fraud-false-positives  Fraud model flags 40%" in listed.stdout
    unknown = run("drill", "nope", "--dry-run")
    assert (
        unknown.returncode == 1
        and "There is no drill `nope`; the scenarios are: " in unknown.stderr
    )


def test_the_drift_help_says_data_set_and_columns() -> None:
    import argparse

    from bot.runtime import drift_command

    commands = argparse.ArgumentParser(prog="incidentbot").add_subparsers()
    drift_command.add_parser(commands)
    said = " ".join(commands.choices["drift"].format_help().split())
    assert "sketch streams a data set and summarises it" in said and "dataset" not in said
    assert "the data set has drifted when half its columns have." in said


def test_serve_keeps_idle_connections_longer_than_the_proxies_in_front() -> None:
    """uvicorn's default (5 s) closed idle connections that a load balancer (60 s) or a
    client pool (5 s) was sending on at that moment: the request was lost with "Server
    disconnected without sending a response" (seen in the declare benchmark)."""
    from bot.runtime.serve import server_options

    options = server_options("127.0.0.1", 8080)
    assert options["timeout_keep_alive"] > 60
    assert (options["host"], options["port"], options["access_log"]) == ("127.0.0.1", 8080, False)
