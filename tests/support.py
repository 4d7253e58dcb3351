"""Helpers shared by the tests and the benchmarks: databases and a running bot process."""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bot.sandbox import SlackStandIn

POSTGRES_ENV = "INCIDENTBOT_TEST_POSTGRES_URL"
GUARD_SITE = str(Path(__file__).parent / "guard_site")
GUARD_REFUSED = "CallInsideTransaction"
IN_CI = os.environ.get("CI", "").lower() == "true"


# Ports for the servers the tests start by number (bots, sandboxes). A port the kernel
# picks (bind to 0) is free only until it is released: another test process could be
# handed the same one before this one's server binds it, and its health check would then
# reach this one's bot. So each xdist worker hands out its own block of ports below the
# kernel's ephemeral range (32768 and up, where the stand-ins' own ports and every
# outgoing connection come from), in turn, skipping any that is taken.
_PORT_BLOCK = 1000
_next_port = itertools.count()


def free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    base = 20000 + (int(worker) if worker.isdigit() else 0) % 12 * _PORT_BLOCK
    for _ in range(_PORT_BLOCK):
        port = base + next(_next_port) % _PORT_BLOCK
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {base}-{base + _PORT_BLOCK - 1}")


def missing_server(what: str, how: str = f"set {POSTGRES_ENV} to run against PostgreSQL") -> None:
    """Skip locally; in CI a missing server is a failure, never a skip."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} not available ({how})")


def wait_until_ready(
    proc: subprocess.Popen[bytes], url: str, what: str, logs: Callable[[], str], seconds: float
) -> None:
    """Until ``url`` answers 200; raises with the server's log if it exits or never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{logs()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready:\n{logs()}")


_TEMPLATES: dict[str, str] = {}
_TEMPLATES_LOCK = threading.Lock()


def migrate(database_url: str) -> None:
    """Bring a fresh, empty database to the newest schema.

    The migrations run once per kind of database and test process, into a template
    (``alembic upgrade head``, as the bot's own ``migrate`` does); each test's
    database is then a copy of it: a file copy on SQLite, ``CREATE DATABASE ...
    TEMPLATE`` on PostgreSQL. The migrations themselves are tested from an empty
    database in tests/store/test_migrations.py.
    """
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    template = _template(kind)
    if kind == "sqlite":
        shutil.copyfile(template, database_url.removeprefix("sqlite:///"))
        return
    import psycopg

    name = database_url.rpartition("/")[2]
    admin = os.environ[POSTGRES_ENV].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def _template(kind: str) -> str:
    """The migrated template of ``kind``: a file path (SQLite) or a database name."""
    from bot.store.migrate import upgrade

    with _TEMPLATES_LOCK:
        if kind in _TEMPLATES:
            return _TEMPLATES[kind]
        if kind == "sqlite":
            folder = tempfile.mkdtemp(prefix="incidentbot-template-")
            path = str(Path(folder) / "template.db")
            upgrade(f"sqlite:///{path}")
            _TEMPLATES[kind] = path
            atexit.register(shutil.rmtree, folder, True)
            return path
        import psycopg

        admin = os.environ[POSTGRES_ENV].replace("postgresql+psycopg://", "postgresql://")
        name = f"ib_template_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        upgrade(f"{admin.rpartition('/')[0]}/{name}")
        _TEMPLATES[kind] = name

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        atexit.register(drop)
        return name


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A brand-new empty database of ``kind`` ('sqlite' or 'postgresql'); dropped after."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="incidentbot-") as folder:
            yield f"sqlite:///{Path(folder) / 'test.db'}"
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        missing_server("PostgreSQL")
    import psycopg

    name = f"ib_test_{uuid.uuid4().hex[:12]}"
    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        missing_server(f"PostgreSQL at {admin_url} ({exc})")
    base, _, _ = conninfo.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class BotProcess:
    """``incidentbot serve`` as a real subprocess, talking to the stand-in over HTTP."""

    def __init__(
        self, slack: SlackStandIn, database_url: str, *, args: tuple[str, ...] = (), **env: str
    ) -> None:
        self.slack = slack
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "INFO",
            # The guard against Slack or HTTP calls inside database transactions.
            "PYTHONPATH": os.pathsep.join(filter(None, [GUARD_SITE, os.environ.get("PYTHONPATH")])),
            "INCIDENTBOT_TEST_GUARD": "1",
            **env,
        }
        self.log_path = Path(tempfile.mkstemp(prefix="incidentbot-log-", suffix=".txt")[1])
        self.args = args  # more for `serve`, e.g. --socket-mode
        self.proc: Forked | None = None

    def migrate(self) -> None:
        """The schema ``incidentbot migrate`` leaves (copied from a migrated template)."""
        migrate(self.database_url)

    def start(self) -> BotProcess:
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port), *self.args]
        self.proc = _forkserver().start(self.env, args, self.log_path)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"incidentbot serve exited early:\n{self.logs()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"incidentbot serve did not become healthy:\n{self.logs()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if GUARD_REFUSED in self.logs():
            lines = [line for line in self.logs().splitlines() if GUARD_REFUSED in line]
            raise AssertionError(
                "the bot made a Slack or HTTP call inside a database transaction:\n"
                + "\n".join(lines[:5])
            )

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def command(self, text: str, *, user: str, channel: str, **sign: object):  # type: ignore[no-untyped-def]
        return self.slack.command(self.url, text, user=user, channel=channel, **sign)


class Forked:
    """A bot process forked by the zygote: the parts of ``Popen`` the tests use. It is
    not this process's child, so its exit code is unknown; ``poll`` says whether it ended."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return -1
        return None

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return -1

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, which: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, which)


class _Zygote:
    """``tests/bot_forkserver.py``, started once per test process."""

    def __init__(self) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [GUARD_SITE, os.environ.get("PYTHONPATH")])),
            "INCIDENTBOT_TEST_GUARD": "1",
        }
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.bot_forkserver"],
            cwd=Path(__file__).parent.parent,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()
        atexit.register(self._proc.kill)

    def start(
        self,
        env: dict[str, str],
        args: list[str],
        log: Path,
        cwd: Path | None = None,
        **files: Path,
    ) -> Forked:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        with self._lock:
            request = {"env": env, "args": args, "log": str(log), "cwd": str(cwd or "")}
            request.update({name: str(path) for name, path in files.items()})
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            answer = self._proc.stdout.readline()
        if not answer:
            raise RuntimeError("the bot forkserver has stopped")
        return Forked(int(answer))


_ZYGOTE: list[_Zygote] = []
_ZYGOTE_LOCK = threading.Lock()


def _forkserver() -> _Zygote:
    with _ZYGOTE_LOCK:
        if not _ZYGOTE or _ZYGOTE[0]._proc.poll() is not None:
            _ZYGOTE[:] = [_Zygote()]
        return _ZYGOTE[0]


def run_cli_in(
    folder: Path, args: list[str], env: dict[str, str], timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    """``incidentbot ARGS`` as typed in ``folder`` with exactly ``env``: forked from the
    zygote (the real command line, its imports done ahead)."""
    with tempfile.TemporaryDirectory(prefix="incidentbot-cli-") as kept_in:
        kept = Path(kept_in)
        files = {"out": kept / "out", "err": kept / "err", "code": kept / "code"}
        child = _forkserver().start(env, args, kept / "log", cwd=folder, **files)
        deadline = time.monotonic() + timeout
        while not files["code"].exists():
            if time.monotonic() > deadline:
                child.kill()
                raise subprocess.TimeoutExpired(["incidentbot", *args], timeout)
            time.sleep(0.01)
        return subprocess.CompletedProcess(
            ["incidentbot", *args],
            int(files["code"].read_text()),
            files["out"].read_text(),
            files["err"].read_text(),
        )


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``incidentbot ARGS`` in its own process, without the Slack and bot settings of
    the environment the tests run in: forked from the zygote (the real command line,
    its imports done ahead), its output and exit code read back as ``subprocess.run``
    gives them."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INCIDENTBOT_"))}
    with tempfile.TemporaryDirectory(prefix="incidentbot-cli-") as folder:
        kept = Path(folder)
        files = {"out": kept / "out", "err": kept / "err", "code": kept / "code"}
        child = _forkserver().start({**clean, **env}, list(args), kept / "log", **files)
        deadline = time.monotonic() + 60
        while not files["code"].exists():
            if time.monotonic() > deadline:
                child.kill()
                raise subprocess.TimeoutExpired(["incidentbot", *args], 60)
            time.sleep(0.01)
        return subprocess.CompletedProcess(
            ["incidentbot", *args],
            int(files["code"].read_text()),
            files["out"].read_text(),
            files["err"].read_text(),
        )
