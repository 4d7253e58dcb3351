"""What an attacker or a careless client sends the running bot: a 4xx with a sentence,
never a 500, no wait without a deadline, nothing changed.

One ``incidentbot serve`` per database answers every case here, with every way in set
up (alerts, PagerDuty's and Jira's webhooks) and a body deadline of half a second.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.sandbox import SlackStandIn
from bot.store.db import Database
from bot.store.models import (
    AlertDelivery,
    Incident,
    PagerDelivery,
    ReceivedRequest,
    SlackEffect,
    TimelineEvent,
)
from tests.conftest import ALICE, BOB, DATABASES
from tests.support import BotProcess, fresh_database

pytestmark = pytest.mark.integration

ALERT_TOKEN = "alert-token-hostile"
PD_SECRET = "pd-secret-hostile"
JIRA_SECRET = "jira-secret-hostile"
DEADLINE = 0.5  # INCIDENTBOT_BODY_TIMEOUT for this bot
DEEP = "[" * 100_000 + "]" * 100_000
LONG_NUMBER = "9" * 5_000
STATUS_PAGE = Path(__file__).resolve().parents[2] / "templates" / "statuspage.toml"


@pytest.fixture(scope="module", params=DATABASES)
def hostile(request: pytest.FixtureRequest) -> Iterator[BotProcess]:
    with fresh_database(request.param) as url, SlackStandIn() as slack:
        for user_id, name in ((ALICE, "alice"), (BOB, "bob")):
            slack.add_user(user_id, name)
        bot = BotProcess(
            slack,
            url,
            INCIDENTBOT_ALERT_TOKEN=ALERT_TOKEN,
            INCIDENTBOT_PAGERDUTY_WEBHOOK_SECRET=PD_SECRET,
            INCIDENTBOT_JIRA_URL="https://acme.atlassian.net",
            INCIDENTBOT_JIRA_EMAIL="bot@acme.test",
            INCIDENTBOT_JIRA_TOKEN="t",
            INCIDENTBOT_JIRA_PROJECT="FRAUD",
            INCIDENTBOT_JIRA_WEBHOOK_SECRET=JIRA_SECRET,
            INCIDENTBOT_BODY_TIMEOUT=str(DEADLINE),
            INCIDENTBOT_STATUS_PAGE=str(STATUS_PAGE),
        )
        bot.migrate()
        bot.start()
        yield bot
        bot.stop()


def stored(bot: BotProcess) -> dict[str, int]:
    """How many rows each table a request could change holds."""
    database = Database(bot.database_url)
    try:
        with database.begin() as session:
            return {
                table.__tablename__: int(
                    session.scalar(select(func.count()).select_from(table)) or 0
                )
                for table in (
                    Incident,
                    TimelineEvent,
                    AlertDelivery,
                    PagerDelivery,
                    ReceivedRequest,
                    SlackEffect,
                )
            }
    finally:
        database.dispose()


def slack_signed(bot: BotProcess, body: bytes, content_type: str) -> dict[str, str]:
    headers = bot.slack.signed_headers(body)
    headers["Content-Type"] = content_type
    return headers


def hub(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_malformed_signature_headers_are_401_and_nothing_is_read(hostile: BotProcess) -> None:
    """A non-ASCII signature raised TypeError in the comparison (a 500, no credentials
    needed)."""
    before = stored(hostile)
    for path, header in (
        ("/jira/webhook", "X-Hub-Signature"),
        ("/pagerduty/webhook", "X-PagerDuty-Signature"),
    ):
        for value in (b"sha256=\xe9", b"v1=\xe9", b"sha256=" + b"z" * 64, b"v1=abc"):
            answer = httpx.post(hostile.url + path, content=b"{}", headers={header: value})
            assert answer.status_code == 401, (path, value, answer.text)
            assert "is not of the form" in answer.json()["error"]
    other = httpx.post(
        hostile.url + "/github/webhook", content=b"{}", headers={"X-Hub-Signature-256": "x"}
    )
    assert other.status_code == 404 and "files tickets in Jira, not GitHub" in other.text
    assert stored(hostile) == before


@pytest.mark.parametrize(
    ("source", "document", "said"),
    [
        ("generic", DEEP, "nests deeper than 64 levels"),
        ("alertmanager", DEEP, "nests deeper than 64 levels"),
        (
            "generic",
            '{"title": "Recall down", "severity": "sev2", "value": ' + LONG_NUMBER + "}",
            "number longer than 40 digits",
        ),
        ("alertmanager", '{"alerts": [], "version": NaN}', "NaN, which is not JSON"),
    ],
    # Short names: a test's ID is in the environment of the bots it starts, whose size
    # the operating system bounds (a 200,000-character ID is an argument list too long).
    ids=["deep-generic", "deep-alertmanager", "long-number", "nan"],
)
def test_alerts_outside_the_parsers_bounds_are_a_400(
    hostile: BotProcess, source: str, document: str, said: str
) -> None:
    before = stored(hostile)
    answer = httpx.post(
        f"{hostile.url}/alerts/{source}",
        content=document.encode(),
        headers={"Authorization": f"Bearer {ALERT_TOKEN}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 400 and said in answer.json()["error"]
    assert stored(hostile) == before


def test_signed_webhooks_and_slack_requests_nested_too_deep_are_a_400(
    hostile: BotProcess,
) -> None:
    before = stored(hostile)
    deep = DEEP.encode()
    jira = httpx.post(
        hostile.url + "/jira/webhook",
        content=deep,
        headers={"X-Hub-Signature": hub(JIRA_SECRET, deep)},
        timeout=10,
    )
    assert jira.status_code == 400 and "nests deeper" in jira.json()["error"]
    pd = b'{"event": {"id": "E1", "data": ' + b"[" * 200 + b"]" * 200 + b"}}"
    pagerduty = httpx.post(
        hostile.url + "/pagerduty/webhook",
        content=pd,
        headers={
            "X-PagerDuty-Signature": "v1=" + hmac.new(PD_SECRET.encode(), pd, "sha256").hexdigest(),
            "X-Webhook-Id": "W-deep",
        },
        timeout=10,
    )
    assert pagerduty.status_code == 202  # stored as signed; read, it is refused in words
    as_json = httpx.post(
        hostile.url + "/slack/events",
        content=deep,
        headers=slack_signed(hostile, deep, "application/json"),
        timeout=10,
    )
    assert as_json.status_code == 400 and "nests deeper" in as_json.json()["error"]
    form = urlencode({"payload": DEEP}).encode()
    as_form = httpx.post(
        hostile.url + "/slack/events",
        content=form,
        headers=slack_signed(hostile, form, "application/x-www-form-urlencoded"),
        timeout=10,
    )
    assert as_form.status_code == 400 and "payload nests deeper" in as_form.json()["error"]
    after = stored(hostile)
    assert after["pager_deliveries"] == before["pager_deliveries"] + 1
    assert {k: v for k, v in after.items() if k != "pager_deliveries"} == {
        k: v for k, v in before.items() if k != "pager_deliveries"
    }
    wait_applied(hostile, "W-deep")


def wait_applied(bot: BotProcess, webhook_id: str) -> None:
    """The stored PagerDuty delivery is applied (here: read and refused in words)."""
    database = Database(bot.database_url)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with database.begin() as session:
                outcome = session.scalar(
                    select(PagerDelivery.outcome).where(PagerDelivery.webhook_id == webhook_id)
                )
            if outcome:
                assert outcome.startswith("unreadable"), outcome
                return
            time.sleep(0.05)
        raise AssertionError(f"delivery {webhook_id} was never applied")
    finally:
        database.dispose()


def trickle(bot: BotProcess, path: str, headers: dict[str, str], declared: int) -> socket.socket:
    """A client that declares ``declared`` bytes of body and sends ten."""
    sock = socket.create_connection(("127.0.0.1", bot.port), timeout=10)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {declared}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b"0123456789")
    return sock


def answer_of(sock: socket.socket) -> tuple[int, bytes]:
    """The status and what else came before the server closed the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    sock.close()
    status = int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/1.1 ") else 0
    return status, received


def slack_headers(bot: BotProcess) -> dict[str, str]:
    """Headers that pass every check made before the body: a well-formed, recent
    signature (which the body, never sent, could not match)."""
    return {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
        "Content-Type": "application/x-www-form-urlencoded",
    }


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/slack/events", None),
        ("/pagerduty/webhook", {"X-PagerDuty-Signature": "v1=" + "0" * 64}),
        ("/jira/webhook", {"X-Hub-Signature": "sha256=" + "0" * 64}),
        ("/alerts/generic", {"Authorization": f"Bearer {ALERT_TOKEN}"}),
    ],
)
def test_a_body_that_never_arrives_is_answered_408_and_the_connection_closed(
    hostile: BotProcess, path: str, headers: dict[str, str] | None
) -> None:
    """Content-Length: 100 and ten bytes sent: no answer came after 31 s."""
    sock = trickle(hostile, path, headers or slack_headers(hostile), declared=100)
    status, said = answer_of(sock)  # the server closes it: recv returns b""
    assert status == 408 and b"did not arrive within 0.5 seconds" in said


def test_unverified_bodies_are_read_a_bounded_number_at_once(hostile: BotProcess) -> None:
    """300 half-sent bodies held the process's memory while their connections stayed
    open; now at most 64 are read at once and the rest are told to come back."""
    held = [
        trickle(hostile, "/slack/events", slack_headers(hostile), declared=1_000_000)
        for _ in range(80)
    ]
    statuses = [answer_of(sock)[0] for sock in held]
    assert statuses.count(408) == 64, statuses
    assert statuses.count(503) == 16, statuses
    assert httpx.get(hostile.url + "/healthz").status_code == 200  # and it answers after


# -- searching, not listing: generated requests at every route -----------------------------

ROUTES = [
    "/slack/events",
    "/alerts/generic",
    "/alerts/alertmanager",
    "/alerts/grafana",
    "/alerts/nagios",
    "/pagerduty/webhook",
    "/jira/webhook",
    "/github/webhook",
    "/healthz",
    "/metrics",
    "/incidents",
    "/incidents/1",
    "/review",
    "/signin",
    "/signout",
    "/",
    "/status",
    "/status.json",
    "/status/feed.atom",
    "/status/incidents/%00%ff",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
# What a client can put in a header: Latin-1, no control characters, and (HTTP strips it)
# no space at either end.
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=80).map(
    str.strip
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.integers(1, 3_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=4).map(
        lambda form: urlencode(form).encode()
    ),
    st.just(b'{"alerts": [{"labels": {"alertname": "' + b"9" * 5000 + b'"}}]}'),
)
QUERIES = st.dictionaries(
    st.sampled_from(["from", "to", "quarter", "q", "page", "severity", "kind", "next", "x"]),
    st.text(max_size=30) | st.sampled_from(["0001-01-01", "9999-12-31", "9999Q4", "-1", "%"]),
    max_size=3,
)


@st.composite
def requests(draw: st.DrawFn, *, credentials: bool) -> dict[str, object]:
    """A request to one of the bot's routes. With ``credentials``, what Slack, the alert
    sender and the trackers would sign or carry is sometimes right (so the body is read
    and parsed); without, it never is."""
    path = draw(st.sampled_from(ROUTES))
    body = draw(BODIES)
    headers: dict[str, str] = {}
    if draw(st.booleans()):
        headers["Content-Type"] = draw(
            st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"])
            | HEADER_TEXT
        )
    right = credentials and draw(st.booleans())
    for name, value in (
        ("Authorization", f"Bearer {ALERT_TOKEN}" if right else None),
        ("X-Hub-Signature", hub(JIRA_SECRET, body) if right else None),
        (
            "X-PagerDuty-Signature",
            "v1=" + hmac.new(PD_SECRET.encode(), body, "sha256").hexdigest() if right else None,
        ),
        ("X-Webhook-Id", None),
        ("X-Slack-Request-Timestamp", None),
        ("X-Slack-Signature", None),
        ("If-None-Match", None),
    ):
        if draw(st.booleans()):
            headers[name] = value or draw(HEADER_TEXT)
    return {
        "method": draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"])),
        "path": path,
        "params": draw(QUERIES),
        "headers": headers,
        "content": body,
        "slack_signed": right and path == "/slack/events",
    }


def send(bot: BotProcess, request: dict[str, object]) -> httpx.Response:
    headers = dict(request["headers"])  # type: ignore[call-overload]
    body = request["content"]
    assert isinstance(body, bytes)
    if request["slack_signed"]:
        signed = bot.slack.signed_headers(body)
        headers.update({k: v for k, v in signed.items() if k != "Content-Type"})
    return httpx.request(
        str(request["method"]),
        bot.url + str(request["path"]),
        params=request["params"],  # type: ignore[arg-type]
        # As a client may send them: any byte a header can carry, not only ASCII.
        headers={name: value.encode("latin-1") for name, value in headers.items()},
        content=body,
        timeout=15,
    )


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(request=requests(credentials=True))
def test_no_request_gets_a_5xx(hostile: BotProcess, request: dict[str, object]) -> None:
    answer = send(hostile, request)
    assert answer.status_code < 500, (request, answer.status_code, answer.text[:300])
    if answer.status_code >= 400 and "json" in answer.headers.get("content-type", ""):
        assert answer.json().get("error"), answer.text  # a sentence, not an empty refusal


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(request=requests(credentials=False))
def test_a_request_without_credentials_is_refused_and_changes_nothing(
    hostile: BotProcess, request: dict[str, object]
) -> None:
    before = stored(hostile)
    answer = send(hostile, request)
    assert answer.status_code < 500, (request, answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        assert stored(hostile) == before, request
