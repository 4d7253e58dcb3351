"""Real request shapes, and broken ones, sent to the bot signed as Slack signs them.

The corpus: request bodies from Bolt's own scenario tests (``shapes/bolt_payloads.json``),
each as it is and with its IDs pointed at every one of this bot's controls, forms and
shortcuts; then the broken variants Slack never sends but a proxy or an old form may
(bodies that are not JSON, JSON that is not an object, forms this bot did not write,
requests without a user). Every ``response_url`` points at a server that never answers.

Required of every one: no 5xx, an answer within Slack's 3 seconds, nothing changed in
the incident that exists, and the process alive at the end.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.sandbox import SlackStandIn
from bot.slack.listeners import register_all
from tests.conftest import ALICE
from tests.e2e.helpers import stored_incidents
from tests.support import BotProcess

CORPUS = json.loads((Path(__file__).parent / "shapes" / "bolt_payloads.json").read_text())
SLACK_DEADLINE = 3.0


class _Controls:
    """Collects what ``register_all`` wires: action IDs, form callbacks, shortcuts."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {"action": [], "view": [], "shortcut": []}

    def _take(self, kind: str, matcher: Any) -> Any:
        given = (
            matcher.pattern.lstrip("^").replace("\\", "") + "x:1"
            if hasattr(matcher, "pattern")
            else str(matcher)
        )
        self.found.setdefault(kind, []).append(given)
        return lambda listener: listener

    def action(self, matcher: Any) -> Any:
        return self._take("action", matcher)

    def view(self, matcher: Any) -> Any:
        return self._take("view", matcher)

    def shortcut(self, matcher: Any) -> Any:
        return self._take("shortcut", matcher)

    def command(self, matcher: Any) -> Any:
        return self._take("command", matcher)

    def event(self, matcher: Any) -> Any:
        return self._take("event", matcher)


def _controls() -> dict[str, list[str]]:
    wiring = _Controls()
    register_all(wiring)  # type: ignore[arg-type]
    return wiring.found


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A response_url whose server takes the connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks/hang"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def _variants(channel: str, hang: str) -> list[tuple[str, bytes, str]]:
    """(what, body, content type) for every request of the corpus."""
    form = "application/x-www-form-urlencoded"
    controls = _controls()
    out: list[tuple[str, bytes, str]] = []

    def interaction(what: str, payload: dict[str, Any]) -> None:
        if "response_url" in payload or payload.get("type") in {"block_actions", "shortcut"}:
            payload["response_url"] = hang
        out.append((what, urlencode({"payload": json.dumps(payload)}).encode(), form))

    for name, body in CORPUS["payloads"].items():
        body = copy.deepcopy(body)
        kind = body["type"]
        if kind == "event_callback":
            out.append((name, json.dumps(body).encode(), "application/json"))
            continue
        interaction(name, copy.deepcopy(body))
        if kind == "block_actions":
            for action_id in controls["action"]:
                for value in ("not-a-number", "{}", "1"):
                    pointed = copy.deepcopy(body)
                    pointed["channel"] = {"id": channel, "name": "general"}
                    pointed["container"] = {"type": "message", "message_ts": "1.000001"}
                    pointed["actions"][0].update(action_id=action_id, value=value)
                    interaction(f"{name} -> {action_id}={value}", pointed)
            no_user = copy.deepcopy(body)
            no_user.pop("user", None)
            interaction(f"{name} without user", no_user)
        if kind == "view_submission":
            for callback in controls["view"]:
                for metadata in ("not ours", '{"channel": 5}', "[]", ""):
                    pointed = copy.deepcopy(body)
                    pointed["view"].update(callback_id=callback, private_metadata=metadata)
                    interaction(f"{name} -> {callback} ({metadata!r})", pointed)
                no_user = copy.deepcopy(body)
                no_user["view"]["callback_id"] = callback
                no_user.pop("user", None)
                interaction(f"{name} -> {callback} without user", no_user)
        if kind in {"shortcut", "message_action"}:
            for callback in controls["shortcut"]:
                pointed = copy.deepcopy(body)
                pointed["callback_id"] = callback
                interaction(f"{name} -> {callback}", pointed)
                bare = copy.deepcopy(pointed)
                bare.pop("message", None)
                interaction(f"{name} -> {callback} without message", bare)

    broken = [
        ("payload=not json", b"payload=not%20json", form),
        ("payload=[]", b"payload=%5B%5D", form),
        ("payload=null", b"payload=null", form),
        ("truncated JSON", b"payload=%7B%22type%22%3A%22block_act", form),
        ("undecodable", b"payload=%FF%FE%00", form),
        ("JSON array", b"[]", "application/json"),
        ("JSON string", b'"hello"', "application/json"),
        ("JSON object without a type", b'{"token": "x"}', "application/json"),
        ("a form with neither", b"text=hello", form),
        ("not UTF-8", b"\xff\xfe\x00", form),
        (
            "a command without text",
            urlencode({"command": "/incident", "user_id": ALICE, "channel_id": channel}).encode(),
            form,
        ),
    ]
    return out + broken


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # shapes, not storage
def test_no_shape_breaks_the_bot_or_keeps_slack_waiting(
    bot: BotProcess, slack: SlackStandIn, general: str, hanging_url: str
) -> None:
    declared = bot.command("declare sev2 Scorer latency", user=ALICE, channel=general)
    assert declared.ack_text.startswith("Declaring")
    incident = slack.wait_for(
        lambda: [i for i in stored_incidents(bot.database_url) if i.provisioned_at],
        what="the incident set up",
    )[0]
    channel = slack.channels[incident.channel_id]
    before = (len(stored_incidents(bot.database_url)), len(channel.messages), channel.topic)

    answers: list[tuple[str, int, float]] = []
    with httpx.Client(timeout=10) as client:
        for what, body, content_type in _variants(general, hanging_url):
            headers = {**slack.signed_headers(body), "Content-Type": content_type}
            started = time.perf_counter()
            response = client.post(f"{bot.url}/slack/events", content=body, headers=headers)
            answers.append((what, response.status_code, time.perf_counter() - started))
            if response.status_code == 400:
                assert response.json()["error"], what  # a sentence, not a traceback

    failed = [(what, status) for what, status, _ in answers if status >= 500]
    slow = [(what, round(took, 2)) for what, _, took in answers if took > SLACK_DEADLINE]
    assert not failed and not slow, (failed, slow)
    assert len(answers) > 150  # the whole corpus went out
    refused = {what for what, status, _ in answers if status == 400}
    assert {"payload=not json", "payload=[]", "undecodable", "JSON array", "not UTF-8"} <= refused

    # Slack's rate-limit notice is taken, not refused.
    notice = json.dumps(
        {"type": "app_rate_limited", "team_id": "T0STANDIN", "minute_rate_limited": 1}
    )
    headers = {**slack.signed_headers(notice.encode()), "Content-Type": "application/json"}
    assert httpx.post(f"{bot.url}/slack/events", content=notice, headers=headers).status_code == 200

    assert bot.proc is not None and bot.proc.poll() is None  # alive
    assert httpx.get(f"{bot.url}/healthz").status_code == 200
    after = (len(stored_incidents(bot.database_url)), len(channel.messages), channel.topic)
    assert after == before
    # The bot still works: a command after the corpus is answered as always.
    assert "/incident declare" in bot.command("help", user=ALICE, channel=general).ack_text
