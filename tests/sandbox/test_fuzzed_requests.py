"""Generated requests at every route of the running sandbox (its page, the bot's routes,
the console): never a 5xx, and a refused one changes nothing; addressed by any name but
a loopback one, nothing is read or changed at all."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.running import Sandbox, start_sandbox, stop_sandbox

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("sandbox-fuzz")]

ROUTES = [
    "/",
    "/sandbox/view",
    "/sandbox/wait",  # a long poll: "since" is left out below, so it answers at once
    "/sandbox/act",
    "/sandbox/files/F0NOPE",
    "/sandbox/sample-alert.json",
    "/incidents",
    "/incidents/1",
    "/incidents/1/postmortem.md",
    "/review",
    "/review.csv",
    "/alerts/alertmanager",
    "/slack/events",
    "/healthz",
    "/signout",
]
PEOPLE = st.sampled_from(["U0ALICE01", "U0GUEST05", "U0NOBODY", "", "<script>"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | PEOPLE,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ACTS = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["message", "click", "submit", "close", "later", "fly", ""]),
        "person": PEOPLE,
    },
    optional={
        "channel": st.text(max_size=12),
        "text": st.text(max_size=40),
        "minutes": st.integers(-5, 10_000) | st.text(max_size=5),
        "view_id": st.text(max_size=8),
        "values": JSON,
        "action": JSON,
    },
)
QUERIES = st.dictionaries(
    st.sampled_from(["person", "channel", "thread", "q", "from", "to", "quarter", "page", "x"]),
    st.text(max_size=20) | st.sampled_from(["9999-12-31", "0001Q1", "U0ALICE01", "-1"]),
    max_size=3,
)
HOSTS = st.sampled_from(["127.0.0.1", "localhost", "[::1]", "evil.example", "127.0.0.1.nip.io"])


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    running = start_sandbox(tmp_path_factory.mktemp("fuzz"))
    yield running
    stop_sandbox(running)


def stored(folder: Path) -> tuple[int, ...]:
    with sqlite3.connect(folder / "sandbox.db") as db:
        return tuple(
            db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("incidents", "timeline_events", "alert_deliveries", "slack_effects")
        )


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(ROUTES),
    method=st.sampled_from(["GET", "POST"]),
    host=HOSTS,
    query=QUERIES,
    body=st.one_of(ACTS.map(json.dumps), JSON.map(json.dumps), st.text(max_size=50)),
    json_type=st.booleans(),
)
def test_no_request_to_the_sandbox_gets_a_5xx_and_a_refusal_changes_nothing(
    sandbox: Sandbox,
    path: str,
    method: str,
    host: str,
    query: dict[str, str],
    body: str,
    json_type: bool,
) -> None:
    port = sandbox.url.rsplit(":", 1)[1]
    before = stored(sandbox.folder)
    answer = httpx.request(
        method,
        sandbox.url + path,
        params=query,
        content=body.encode() if method == "POST" else None,
        headers={
            "Host": f"{host}:{port}",
            "Content-Type": "application/json" if json_type else "text/plain",
        },
        timeout=30,
    )
    assert answer.status_code < 500, (path, method, host, query, body, answer.text[:300])
    if answer.status_code >= 400:
        assert stored(sandbox.folder) == before, (path, body)
    if host in ("evil.example", "127.0.0.1.nip.io"):
        assert answer.status_code == 421
