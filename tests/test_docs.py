"""The documentation: the site builds without a warning, and every command it shows runs.

A command is a line of a fenced block marked ``sh``, ``bash``, ``shell`` or ``console``
(there, the lines after ``$ ``) in README.md or a page of docs/; a line ending in ``\\``,
or with a quote still open, goes on to the next. Blocks marked ``text`` (slash commands
typed in Slack, synopses) are not commands. Each block runs as a whole through
``bash -e``, as written, in a folder of its page's own holding the sample files the docs
name, with ``DATABASE_URL`` naming a migrated SQLite database that holds incidents
INC-1 to INC-12, dead work 41 and evidence kept for INC-12. A command that starts a
server (``incidentbot sandbox``, ``incidentbot serve``, maybe after settings) is
started, must answer ``/healthz``, and is stopped; ``serve`` talks to the local Slack
(``SlackStandIn``) with its credentials. Every other ``incidentbot`` command runs the
real command line forked from the tests' zygote (its imports done ahead), in the
block's folder with the block's environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bot.sandbox import SlackStandIn
from tests.support import free_port, run_cli_in

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
SHELL = {"sh", "bash", "shell", "console"}
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)

# Commands that cannot run inside the suite, by their exact text (a multi-line one by
# its first line), and why. Each must still be in the docs: a stale entry fails.
NOT_HERE = {
    "pip install -e '.[test]' && python -m pytest": "the test suite itself, which runs this test",
    "curl -X POST https://bot.example.com/alerts/generic \\": "needs a bot at that address",
    "incidentbot drift s3://ml-logs/fraud/date=2026-11-30/ s3://ml-logs/fraud/date=2026-12-07/": (
        "needs that bucket; tests/diagnosis/test_where_data_lives.py reads one from an S3 server"
    ),
}
# What the suite is installed with already: the rest of such a line runs.
INSTALLED = ("pip install -e . && ",)
# The benchmarks take minutes each: their flags are checked against their --help instead.
BENCHMARK = "python -m tests.benchmarks."
SERVERS = ("incidentbot sandbox", "incidentbot serve")
SETTINGS = re.compile(r"((?:[A-Z_][A-Z0-9_]*=\S+ )*)(.*)", re.S)


@dataclass(frozen=True)
class Command:
    page: Path
    text: str  # as written, lines joined by newlines


def blocks(page: Path) -> list[list[Command]]:
    """The shell blocks of a page, each a list of its commands."""
    found = []
    for fence in FENCE.finditer(page.read_text(encoding="utf-8")):
        if fence["lang"] not in SHELL:
            continue
        indent = len(fence["indent"])
        lines = [line[indent:] for line in fence["body"].splitlines()]
        if fence["lang"] == "console":
            lines = [line[2:] for line in lines if line.startswith("$ ")]
        commands, pending = [], ""
        for line in lines:
            pending = f"{pending}\n{line}" if pending else line
            if not pending.strip():
                pending = ""
                continue
            if pending.endswith("\\") or not _complete(pending):
                continue
            commands.append(Command(page, pending))
            pending = ""
        assert not pending, f"{page.name}: a command never ends: {pending!r}"
        found.append(commands)
    return found


def _complete(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:  # a quote still open
        return False
    return True


def _first_line(command: Command) -> str:
    return command.text.splitlines()[0]


def _script(commands: list[Command]) -> tuple[str, list[str]]:
    """The block as bash runs it; and the benchmark commands, checked apart."""
    lines, benchmarks = [], []
    for command in commands:
        text = command.text
        if _first_line(command) in NOT_HERE or text in NOT_HERE:
            continue
        for prefix in INSTALLED:
            text = text.removeprefix(prefix)
        if text.startswith(BENCHMARK):
            benchmarks.append(text)
            continue
        # A server is the last of a chain (`a && b && server`), maybe after settings
        # (`NAME=value incidentbot sandbox`): run it under the checker, with those settings.
        head, _, last = text.rpartition(" && ")
        settings, server = SETTINGS.match(last).groups()  # type: ignore[union-attr]
        if server.startswith(SERVERS):
            last = f"{settings}__serve {server}"
            text = f"{head} && {last}" if head else last
        lines.append(f"{{ {text}\n}} || exit $?")  # `bash -e` alone forgives `false && true`
    return "\n".join(lines), benchmarks


# Runs "$@" in the background, waits for /healthz (the sandbox: the address it printed),
# stops it, and fails the block if it never answered.
SERVE = r"""
__serve() {
    command "$@" > server.log 2>&1 &
    local pid=$!
    "$PYTHON" "$CHECK" "$pid" server.log
    local answered=$?
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return "$answered"
}
"""

# ``incidentbot`` in a block: the real command line, forked from the tests' zygote in the
# block's folder with the block's environment (``tests/support.run_cli_in``), instead of a
# Python that imports the bot, pandas and SciPy again for each of two dozen commands.
# A server (``__serve``) is started as a process of its own.
ZYGOTE_CLI = r"""
incidentbot() {
    "$PYTHON" -S "$CLI_CLIENT" "$@"
}
"""

CLI_CLIENT = r"""
import json, os, socket, sys
ask = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ask.connect(os.environ["CLI_SOCKET"])
asked = {"args": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}
ask.sendall(json.dumps(asked).encode() + b"\n")
answer = json.loads(ask.makefile("rb").readline())
sys.stdout.write(answer["out"])
sys.stderr.write(answer["err"])
sys.exit(answer["code"])
"""

CHECK = r"""
import os, re, sys, time, urllib.request
pid, log = int(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 45
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("the server stopped:\n" + open(log).read()[-3000:])
    text = open(log).read()
    found = re.search(r"Sandbox at (http://127\.0\.0\.1:\d+)/", text)
    url = found.group(1) if found else "http://127.0.0.1:" + os.environ["PORT"]
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
            if answer.status == 200:
                print("answered", url)
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit("the server never answered /healthz:\n" + open(log).read()[-3000:])
"""


def _samples(folder: Path, page: str = "") -> None:
    """The data files the docs' examples name (the warehouse only for the page naming it)."""
    rng = np.random.default_rng(7)

    def table(rows: int, shifted: bool) -> pd.DataFrame:
        older = rng.random(rows) < 0.5
        approve = rng.random(rows) < np.where(older & shifted, 0.25, 0.55)
        return pd.DataFrame(
            {
                "id": np.arange(rows),
                "amount": rng.lognormal(3.0 + (0.8 if shifted else 0.0), 1.0, rows),
                "merchant_risk": rng.normal(0.5 if shifted else 0.0, 1.0, rows),
                "country": rng.choice(["DE", "FR", "NL"], rows),
                "sex": rng.choice(["F", "M"], rows),
                "age_band": np.where(older, "50+", "18-49"),
                "approved": np.where(approve, "approve", "decline"),
                "repaid": (rng.random(rows) < 0.8).astype(int),
            }
        )

    # What the docs name from a checkout: the example status page.
    (folder / "templates").mkdir()
    shutil.copy(REPO / "templates" / "statuspage.toml", folder / "templates")
    reference, current = table(600, shifted=False), table(600, shifted=True)
    if "warehouse.duckdb" in page:  # the one page that names it
        _warehouse(folder / "warehouse.duckdb", reference, current)
    reference.to_csv(folder / "reference.csv", index=False)
    current.to_csv(folder / "current.csv", index=False)
    reference.to_parquet(folder / "march.parquet", index=False)
    current.to_csv(folder / "today.csv", index=False)


def _warehouse(path: Path, reference: pd.DataFrame, current: pd.DataFrame) -> None:
    """A DuckDB warehouse whose ``predictions`` table holds the last hour's rows (shifted)
    and the same hour a week before."""
    import duckdb

    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    spread = pd.to_timedelta(np.linspace(1, 3500, len(current)), unit="s")
    rows = pd.concat(
        [
            reference.assign(ts=now - pd.Timedelta(days=7) - spread),
            current.assign(ts=now - spread),
        ]
    )
    with duckdb.connect(str(path)) as warehouse:
        warehouse.register("rows", rows)
        warehouse.execute("CREATE TABLE predictions AS SELECT * FROM rows")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with incidents INC-1 to INC-12, dead work 41, and evidence
    preserved for INC-12."""
    path = tmp_path_factory.mktemp("docs-db") / "incidentbot.db"
    url = f"sqlite:///{path}"
    subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    from bot.incidents.declare import Declaration, declare
    from bot.incidents.severity import Severity
    from bot.reporting import evidence
    from bot.store.db import Database
    from bot.store.models import Incident, SlackEffect, utcnow

    db = Database(url)
    with db.begin() as session:
        for number in range(1, 13):
            declare(session, Declaration(f"Sample incident {number}", Severity.SEV2, None))
        session.add(
            SlackEffect(
                id=41,
                incident_id=12,
                kind="post",
                payload={},
                dead_at=utcnow(),
                last_error="not_in_channel",
            )
        )
    with db.begin() as session:
        incident = session.get(Incident, 12)
        assert incident is not None
        evidence.preserve(
            session,
            incident,
            change="a rollback of fraud-scorer from v7 to v6",
            by=None,
            registry=None,
            registry_problem="no MLflow registry is set up here",
            now=utcnow(),
        )
    db.dispose()
    return path


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=120,
    )
    warnings = [line for line in built.stderr.splitlines() if "WARNING" in line]
    assert built.returncode == 0 and not warnings, built.stderr


def test_every_exception_is_still_in_the_docs() -> None:
    shown = {
        line
        for page in PAGES
        for block in blocks(page)
        for c in block
        for line in (c.text, _first_line(c))
    }
    assert set(NOT_HERE) <= shown, set(NOT_HERE) - shown


def _param(page: Path) -> object:
    # `incidentbot sandbox` as written takes port 3000: the pages that start it take turns.
    sandbox = "incidentbot sandbox" in page.read_text(encoding="utf-8")
    marks = [pytest.mark.xdist_group("docs-sandbox")] if sandbox else []
    return pytest.param(page, marks=marks, id=str(page.relative_to(REPO)))


def _first_pages() -> dict[tuple[str, ...], Path]:
    """Where each block is shown first: a block shown again on a later page (the README's
    commands, repeated in the walkthrough) is run once, on its first page."""
    first: dict[tuple[str, ...], Path] = {}
    for page in PAGES:
        for block in blocks(page):
            first.setdefault(tuple(c.text for c in block), page)
    return first


FIRST_SHOWN = _first_pages()
SHOWN = [
    _param(page)
    for page in PAGES
    if any(FIRST_SHOWN[tuple(c.text for c in block)] == page for block in blocks(page) if block)
]


@pytest.mark.parametrize("doc", SHOWN)
def test_every_command_on_the_page_runs_as_written(
    doc: Path, database: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "here"
    folder.mkdir()
    _samples(folder, doc.read_text(encoding="utf-8"))
    shutil.copy(database, folder / "incidentbot.db")
    (tmp_path / "check.py").write_text(CHECK)
    (tmp_path / "cli.py").write_text(CLI_CLIENT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INCIDENTBOT_"))}
    # The commands' Python may keep the bot's compiled modules: two dozen commands run here,
    # each would otherwise compile them again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with SlackStandIn() as slack:
        env.update(
            DATABASE_URL=f"sqlite:///{folder / 'incidentbot.db'}",
            SLACK_BOT_TOKEN=slack.token,
            SLACK_SIGNING_SECRET=slack.signing_secret,
            SLACK_API_URL=slack.api_url,
            PORT=str(free_port()),
            PYTHON=sys.executable,
            CHECK=str(tmp_path / "check.py"),
            LOG_LEVEL="WARNING",
            PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
            CLI_CLIENT=str(tmp_path / "cli.py"),
            # A short path: a Unix socket's may hold 107 bytes, and tmp_path is longer.
            CLI_SOCKET=str(Path(tempfile.mkdtemp(prefix="cli-")) / "s"),
        )
        with _cli_server(Path(env["CLI_SOCKET"])):
            _run_blocks(doc, folder, env)


def _run_blocks(doc: Path, folder: Path, env: dict[str, str]) -> None:
    for number, block in enumerate(blocks(doc), 1):
        if FIRST_SHOWN[tuple(c.text for c in block)] != doc:
            continue  # run where it is shown first
        script, benchmarks = _script(block)
        if not _free(3000):  # someone else's sandbox: ours picks a port of its own
            script = re.sub(r"(__serve incidentbot sandbox)$", r"\1 --port 0", script, flags=re.M)
        if script.strip():
            ran = subprocess.run(
                ["bash", "-e", "-c", SERVE + ZYGOTE_CLI + script],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=90,
            )
            assert ran.returncode == 0, (
                f"{doc.relative_to(REPO)}, block {number}, failed:\n{script}\n"
                f"--- stdout\n{ran.stdout[-3000:]}\n--- stderr\n{ran.stderr[-3000:]}"
            )
        for command in benchmarks:
            _check_benchmark(command)


def _check_benchmark(command: str) -> None:
    """The module exists and takes every flag shown (read from its source, not run)."""
    words = shlex.split(command)
    source = REPO / (words[2].replace(".", "/") + ".py")
    assert source.exists(), f"{command}: no {source.relative_to(REPO)}"
    text = source.read_text(encoding="utf-8")
    for flag in (word for word in words[3:] if word.startswith("--")):
        assert f'"{flag}"' in text, f"{command}: the benchmark has no {flag}"


@contextlib.contextmanager
def _cli_server(path: Path) -> Iterator[None]:
    """Answer each block's ``incidentbot`` (``CLI_CLIENT``) by running it from the zygote."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()

    def answer(conn: socket.socket) -> None:
        with conn:
            asked = json.loads(conn.makefile("rb").readline())
            ran = run_cli_in(Path(asked["cwd"]), list(asked["args"]), dict(asked["env"]))
            said = {"code": ran.returncode, "out": ran.stdout, "err": ran.stderr}
            conn.sendall(json.dumps(said).encode() + b"\n")

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        # Closing alone does not wake a thread blocked in accept() on Linux (the join
        # then waited out its 5 s on every page); shutting the socket down does.
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)
        server.close()
        thread.join(5)
        assert not thread.is_alive(), "the command server did not stop"
