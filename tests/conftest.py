from __future__ import annotations

import os
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.sandbox import SlackStandIn
from bot.store.db import Database
from tests.support import (
    POSTGRES_ENV,
    BotProcess,
    _template,
    fresh_database,
    migrate,
    missing_server,
)
from tests.tracker_standins.confluence import ConfluenceStandIn
from tests.tracker_standins.github import GitHubStandIn
from tests.tracker_standins.jira import JiraStandIn

DATABASES = ["sqlite", "postgresql"]


def e2e_database(module: str) -> str:
    """The one database an end-to-end module runs on: the modules alternate (by a stable
    hash of their path), so both databases are driven end to end in every run, and the
    suite starts half as many bot processes. In-process tests run on both."""
    return DATABASES[zlib.crc32(module.encode()) % 2]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get(POSTGRES_ENV):
        return  # SQLite only: every end-to-end test runs on it
    dropped, kept = [], []
    for item in items:
        param = getattr(getattr(item, "callspec", None), "params", {}).get("database_url")
        module = item.nodeid.split("::", 1)[0]
        if (
            param is not None
            and module.startswith("tests/e2e/")
            and item.get_closest_marker("both_databases") is None
            and param != e2e_database(module)
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# People in the stand-in workspace.
ALICE, BOB, CARA = "U0ALICE01", "U0BOB0002", "U0CARA003"


# PostgreSQL databases made straight from the migrated template for a test that asks
# for ``db`` or ``bot``, whose first step is to migrate it: otherwise each was created
# empty, dropped, and created again from the template. Its first migrate is skipped
# (it is already what that would make); any later one runs as before.
_AS_MIGRATED: set[str] = set()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database: SQLite, and PostgreSQL where one is configured."""
    if request.param == "postgresql" and {"db", "bot"} & set(request.fixturenames):
        with _migrated_postgres() as url:
            _AS_MIGRATED.add(url)
            try:
                yield url
            finally:
                _AS_MIGRATED.discard(url)
        return
    with fresh_database(request.param) as url:
        yield url


def _first_migrate(database_url: str) -> None:
    if database_url in _AS_MIGRATED:
        _AS_MIGRATED.discard(database_url)
    else:
        migrate(database_url)


@contextmanager
def _migrated_postgres() -> Iterator[str]:
    """A new PostgreSQL database copied from the migrated template; dropped after."""
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        missing_server("PostgreSQL")
    import psycopg

    conninfo = str(admin_url).replace("postgresql+psycopg://", "postgresql://")
    name = f"ib_test_{uuid.uuid4().hex[:12]}"
    try:
        template = _template("postgresql")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    except psycopg.OperationalError as exc:
        missing_server(f"PostgreSQL at {admin_url} ({exc})")
    try:
        yield f"{conninfo.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A fresh database brought to the newest schema by the migrations (never create_all)."""
    _first_migrate(database_url)
    database = Database(database_url)
    yield database
    database.dispose()


@contextmanager
def workspace() -> Iterator[SlackStandIn]:
    """The stand-in Slack with Alice, Bob and Cara in it."""
    with SlackStandIn() as standin:
        for user_id, name in ((ALICE, "alice"), (BOB, "bob"), (CARA, "cara")):
            standin.add_user(user_id, name)
        yield standin


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with workspace() as standin:
        yield standin


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    """Jira Cloud's stand-in (``tests/tracker_standins``), for the tests of tickets."""
    with JiraStandIn() as standin:
        yield standin


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    with GitHubStandIn() as standin:
        yield standin


@pytest.fixture
def confluence() -> Iterator[ConfluenceStandIn]:
    with ConfluenceStandIn() as standin:
        yield standin


@pytest.fixture
def broadcast(slack: SlackStandIn) -> str:
    return slack.add_channel("incidents", members={ALICE, BOB})


@pytest.fixture
def general(slack: SlackStandIn) -> str:
    return slack.add_channel("general", members={ALICE, BOB, CARA})


@pytest.fixture
def bot_env() -> dict[str, str]:
    """Extra settings for the ``bot`` fixture; a test module overrides this to change them."""
    return {}


@pytest.fixture
def bot(
    slack: SlackStandIn,
    database_url: str,
    broadcast: str,
    bot_env: dict[str, str],
    request: pytest.FixtureRequest,
) -> Iterator[BotProcess]:
    """The real ``incidentbot serve`` against the stand-in, on a freshly migrated database."""
    process = BotProcess(
        slack, database_url, **{"INCIDENTBOT_BROADCAST_CHANNEL": broadcast, **bot_env}
    )
    _first_migrate(database_url)  # what process.migrate() does
    process.start()
    yield process
    process.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- incidentbot log ---\n{process.logs()[-6000:]}")


@contextmanager
def running_bot(
    slack: SlackStandIn, database_url: str, request: pytest.FixtureRequest, **env: str
) -> Iterator[BotProcess]:
    """``incidentbot serve`` on a freshly migrated database, for a module whose tests all
    leave it as they found it (refusals): one bot for them all, not one each. Its log is
    printed if any test failed while it ran."""
    failed_before = request.session.testsfailed
    process = BotProcess(slack, database_url, **env)
    process.migrate()
    process.start()
    try:
        yield process
    finally:
        process.stop()
        if request.session.testsfailed > failed_before:
            print(f"--- incidentbot log ---\n{process.logs()[-6000:]}")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


@pytest.fixture(scope="session")
def mlflow_server() -> Iterator[Any]:
    """A real MLflow tracking server (``mlflow`` from the test extra), shared by the session."""
    import shutil

    from tests.mlflow_server import MlflowServer
    from tests.support import missing_server

    if shutil.which("mlflow") is None:
        missing_server("mlflow", "pip install -e '.[test]' brings it")
    server = MlflowServer()
    yield server
    server.stop()
