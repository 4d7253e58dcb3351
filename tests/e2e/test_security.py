"""Attacks on the running bot, as a table: what was sent, the refusal expected, and proof
that nothing was fetched, stored or posted.

The internal target is a server on 127.0.0.1 that records every request it gets; the
data host a team allowed (``INCIDENTBOT_FETCH_ALLOW``) is on 127.0.0.2. Linux routes
all of 127.0.0.0/8 to loopback, so no traffic leaves the machine. Other ranges
(169.254.169.254, 10/8, ...) are checked by calling the address rule itself in
``tests/net/test_egress.py``, never by letting the bot try them.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.sandbox import SlackStandIn
from tests.alerts.helpers import ALERT_ENV, events, post_alert
from tests.conftest import ALICE
from tests.diagnosis.data import DATA_HOST
from tests.e2e.helpers import declare, stored_incidents
from tests.support import BotProcess, fresh_database

MB = 1024 * 1024

# One worker builds the bombs (seconds of CPU) for the three tests that serve them.
pytestmark = pytest.mark.xdist_group("e2e-security")


@pytest.fixture
def database_url() -> Iterator[str]:
    """These attacks are on the bot's edges, not its storage: SQLite is enough."""
    with fresh_database("sqlite") as url:
        yield url


class _Recorder(BaseHTTPRequestHandler):
    """Answers from ``routes``; every request is recorded in ``hits``."""

    routes: dict[str, tuple[int, bytes, dict[str, str]]]
    hits: list[str]

    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:
        self.hits.append(self.path)
        status, body, headers = self.routes.get(self.path, (404, b"missing", {}))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(host: str, routes: dict[str, tuple[int, bytes, dict[str, str]]]) -> Any:
    handler = type("Handler", (_Recorder,), {"routes": routes, "hits": []})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


@pytest.fixture
def internal() -> Iterator[tuple[str, list[str]]]:
    """The internal service an attacker wants to read (a database port, an admin page)."""
    server, handler = _serve("127.0.0.1", {"/secret.csv": (200, b"password\nhunter2\n", {})})
    yield f"http://127.0.0.1:{server.server_address[1]}", handler.hits
    server.shutdown()
    server.server_close()


def _gzip_bomb(unpacked: int) -> bytes:
    """A CSV of ``unpacked`` bytes, gzipped to about a thousandth of that."""
    packer = gzip.zlib.compressobj(9, gzip.zlib.DEFLATED, 31)  # type: ignore[attr-defined]
    parts = [packer.compress(b"a\n")]
    chunk = b"1\n" * (MB // 2)
    parts += [packer.compress(chunk) for _ in range(unpacked // MB)]
    return b"".join([*parts, packer.flush()])


def _parquet_bomb(path: Path) -> bytes:
    """Under 1 MB on the wire, 20 million rows × 4 columns (640 MB) as a table."""
    schema = pa.schema([(name, pa.int64()) for name in "abcd"])
    block = pa.table({name: pa.array([7] * 1_000_000, pa.int64()) for name in "abcd"})
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for _ in range(20):
            writer.write_table(block)
    return path.read_bytes()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return {
        "gzip": _gzip_bomb(512 * MB),  # about half a MB that unpacks to 512 MB
        "parquet": _parquet_bomb(tmp_path_factory.mktemp("bombs") / "bomb.parquet"),
    }


@pytest.fixture
def allowed(internal: tuple[str, list[str]], bombs: dict[str, bytes]) -> Iterator[str]:
    """The team's data host, allowed; some of its answers redirect inside."""
    inside = internal[0]
    server, _ = _serve(
        DATA_HOST,
        {
            "/ok.csv": (200, b"a,b\n1,2\n3,4\n", {}),
            "/to-internal": (302, b"", {"Location": f"{inside}/secret.csv"}),
            "/to-file": (302, b"", {"Location": "file:///etc/passwd"}),
            "/loop": (302, b"", {"Location": "/loop"}),
            "/bomb.csv.gz": (200, bombs["gzip"], {}),
            "/bomb.parquet": (200, bombs["parquet"], {}),
        },
    )
    yield f"http://{DATA_HOST}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def bot_env() -> dict[str, str]:
    return {**ALERT_ENV, "INCIDENTBOT_FETCH_ALLOW": DATA_HOST}


def _refusal(result: Any, timeout: float = 60) -> str:
    """The "No drift analysis" answer (a "waits behind" note may come first)."""
    said = result.slack.wait_for(
        lambda: [r for r in result.replies() if r["text"].startswith("No drift analysis")],
        timeout,
        "the refusal",
    )
    return str(said[0]["text"])


def _no_drift_left(bot: BotProcess, slack: SlackStandIn, channel: Any) -> None:
    assert events(bot.database_url, kind="drift_found") == []
    slack.wait_for(
        lambda: not [m for m in channel.public() if m["text"].startswith((":mag:", "Drift: "))],
        what="the channel without the refused analysis",
    )


def test_drift_cannot_be_pointed_inside_the_network(
    bot: BotProcess,
    slack: SlackStandIn,
    general: str,
    internal: tuple[str, list[str]],
    allowed: str,
) -> None:
    inside, hits = internal
    port = inside.rsplit(":", 1)[1]
    channel, _ = declare(bot, slack, general)
    attacks = [
        (f"{inside}/secret.csv", "127.0.0.1 is a loopback address"),
        (f"http://localhost:{port}/secret.csv", "localhost resolves to a loopback address"),
        (f"http://[::1]:{port}/secret.csv", "::1 is a loopback address"),
        (f"http://[::ffff:127.0.0.1]:{port}/secret.csv", "a loopback address wrapped in IPv6"),
        (f"http://0.0.0.0:{port}/secret.csv", "0.0.0.0 is the unspecified address"),
        (f"http://2130706433:{port}/secret.csv", "loopback address"),  # 127.0.0.1 as a number
        (f"{allowed}/to-internal", "127.0.0.1 is a loopback address"),
        (f"{allowed}/to-file", "redirects to an address that is not http(s)"),
        (f"{allowed}/loop", "redirects more than 5 times"),
    ]
    for url, said in attacks:
        reply = _refusal(
            bot.command(f"drift {url} {allowed}/ok.csv", user=ALICE, channel=channel.id)
        )
        assert reply.startswith("No drift analysis: ") and said in reply, (url, reply)
        assert "hunter2" not in reply and "password" not in reply
        if "loopback" in said:
            assert "INCIDENTBOT_FETCH_ALLOW=" in reply  # and how an operator would allow it
    assert hits == []  # not one request reached the internal service
    _no_drift_left(bot, slack, channel)


def test_an_alert_cannot_start_a_fetch_inside_the_network(
    bot: BotProcess, slack: SlackStandIn, internal: tuple[str, list[str]], allowed: str
) -> None:
    inside, hits = internal
    answer = post_alert(
        bot.url,
        "generic",
        {
            "title": "Input drift",
            "dedup_key": "drift-inside",
            "severity": "warning",
            "reference_data": f"{inside}/secret.csv?<!channel>",
            "current_data": f"{allowed}/ok.csv",
        },
    )
    assert answer.status_code == 202
    incident = slack.wait_for(
        lambda: [i for i in stored_incidents(bot.database_url) if i.channel_id], what="incident"
    )[0]
    channel = slack.channels[incident.channel_id]
    refused = slack.wait_for(
        lambda: [m for m in channel.public() if m["text"].startswith("No drift analysis")],
        timeout=30,
        what="the refusal in the channel",
    )[0]["text"]
    assert "127.0.0.1 is a loopback address" in refused
    assert "<!channel>" not in refused and "?&lt;!channel&gt;" in refused
    assert hits == []
    _no_drift_left(bot, slack, channel)


def _memory(pid: int) -> dict[str, int]:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in bytes."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS


def test_bombs_and_huge_bodies_leave_the_bot_memory_where_it_was(
    bot: BotProcess, slack: SlackStandIn, general: str, allowed: str
) -> None:
    assert bot.proc is not None
    pid = bot.proc.pid
    channel, _ = declare(bot, slack, general)
    # Warm up the drift path once (pandas and pyarrow load on first use).
    bot.command(f"drift {allowed}/ok.csv {allowed}/ok.csv", user=ALICE, channel=channel.id)
    slack.wait_for(
        lambda: [m for m in channel.public() if m["text"].startswith("Drift: ")],
        timeout=60,
        what="the warm-up analysis",
    )
    big = b"x" * (64 * MB)
    attacks: list[tuple[str, Any]] = [
        (
            "gzip bomb",
            lambda: _refusal(
                bot.command(
                    f"drift {allowed}/bomb.csv.gz {allowed}/ok.csv", user=ALICE, channel=channel.id
                )
            ),
        ),
        (
            "parquet bomb",
            lambda: _refusal(
                bot.command(
                    f"drift {allowed}/bomb.parquet {allowed}/ok.csv", user=ALICE, channel=channel.id
                )
            ),
        ),
        (
            "64 MB unsigned body",
            lambda: httpx.post(f"{bot.url}/slack/events", content=big, timeout=60),
        ),
        (
            "64 MB body with made-up signature headers",
            lambda: httpx.post(
                f"{bot.url}/slack/events",
                content=big,
                headers={
                    "X-Slack-Request-Timestamp": str(int(time.time())),
                    "X-Slack-Signature": "v0=" + "0" * 64,
                },
                timeout=60,
            ),
        ),
    ]
    answers: dict[str, Any] = {}
    for name, attack in attacks:
        before = _memory(pid)["VmRSS"]
        _reset_peak(pid)
        answers[name] = attack()
        after = _memory(pid)
        grown = max(after["VmHWM"], after["VmRSS"]) - before
        print(f"{name}: resident {before / MB:.0f} MB, peak +{grown / MB:.1f} MB")
        assert grown < 100 * MB, (name, grown / MB)
    assert "over 256 MiB unpacked; stopped reading" in answers["gzip bomb"]
    assert "20,000,000 rows × 4 columns" in answers["parquet bomb"]
    assert "INCIDENTBOT_DRIFT_MAX_MEMORY" in answers["parquet bomb"]
    assert answers["64 MB unsigned body"].status_code == 401
    assert answers["64 MB body with made-up signature headers"].status_code == 413


def _signed(slack: SlackStandIn, body: bytes, stamp: str) -> dict[str, str]:
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(slack.signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def test_slack_requests_must_be_signed_well_formed_and_fresh(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _ = declare(bot, slack, general)
    body = b"command=%2Fincident&text=note+hello&user_id=" + ALICE.encode()
    now = str(int(time.time()))
    refused = [
        ({}, "missing Slack signature headers"),
        (
            {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=" + "0" * 64},
            "not a Unix time",
        ),
        ({"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "sha1=abc"}, "not a v0"),
        (_signed(slack, body, str(int(time.time()) - 600)), "more than five minutes"),
        ({**_signed(slack, body, now), "X-Slack-Request-Timestamp": str(int(now) - 1)}, "match"),
    ]
    for headers, said in refused:
        answer = httpx.post(f"{bot.url}/slack/events", content=body, headers=headers)
        assert answer.status_code == 401 and said in answer.json()["error"], (headers, answer.text)

    # A captured signed command, replayed within Slack's five minutes, does nothing again.
    prepared = slack.prepare_command("note replayed once", user=ALICE, channel=channel.id)
    first = prepared.send(bot.url)
    assert first.http.status_code == 200
    slack.wait_for(lambda: events(bot.database_url, kind="note"), what="the note")
    second = prepared.send(bot.url)
    assert second.http.status_code == 200 and second.http.content == b""
    # The replay is answered only once the first one's work is done; a later command's
    # note proves the bot has moved on, and the replayed one is still there once.
    bot.command("note after the replay", user=ALICE, channel=channel.id)
    notes = slack.wait_for(
        lambda: (
            [e for e in events(bot.database_url, kind="note") if "after" in e.text]
            and events(bot.database_url, kind="note")
        ),
        what="the later note",
    )
    assert [e.text for e in notes] == ["replayed once", "after the replay"]


def test_metrics_can_require_a_token_and_health_stays_open(
    slack: SlackStandIn, database_url: str
) -> None:
    bot = BotProcess(slack, database_url, INCIDENTBOT_METRICS_TOKEN="m-secret")
    bot.migrate()
    bot.start()
    try:
        assert httpx.get(f"{bot.url}/metrics").status_code == 401
        wrong = httpx.get(f"{bot.url}/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = httpx.get(f"{bot.url}/metrics", headers={"Authorization": "Bearer m-secret"})
        assert right.status_code == 200 and "incidentbot_" in right.text
        assert httpx.get(f"{bot.url}/healthz").status_code == 200
    finally:
        bot.stop()
