"""The sandbox's page over HTTP: what it refuses, what it keeps across a restart, and
that what a person does reaches the bot as Slack would send it."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sandbox.running import Sandbox, start_sandbox, stop_sandbox
from tests.support import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("sandbox-page")]

ALICE, GUS = "U0ALICE01", "U0GUEST05"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    running = start_sandbox(tmp_path_factory.mktemp("page"))
    yield running
    stop_sandbox(running)


def act(sandbox: Sandbox, **what: Any) -> httpx.Response:
    return httpx.post(sandbox.url + "/sandbox/act", json=what, timeout=10)


def channel_named(sandbox: Sandbox, name: str, person: str = ALICE) -> str:
    page = httpx.get(sandbox.url + "/", params={"person": person}).text
    marker = f">#{name}</a>"
    assert marker in page, f"no #{name} in the sidebar"
    before = page[: page.index(marker)]
    return before[before.rindex("channel=") + len("channel=") :].split('"')[0].split("&")[0]


def shown(sandbox: Sandbox, channel: str, person: str = ALICE) -> str:
    view = httpx.get(sandbox.url + "/sandbox/view", params={"person": person, "channel": channel})
    assert view.status_code == 200, view.text
    return str(view.json()["channel"])


def wait_shown(sandbox: Sandbox, channel: str, words: str, person: str = ALICE) -> str:
    """The channel as drawn, once it shows ``words`` (the bot works after it answers)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        view = shown(sandbox, channel, person)
        if words in view:
            return view
        time.sleep(0.05)
    raise AssertionError(f"{words!r} never showed in {channel}")


def test_only_this_page_may_act(sandbox: Sandbox) -> None:
    general = channel_named(sandbox, "general")
    doing = {"kind": "message", "person": ALICE, "channel": general, "text": "hello"}
    as_form = httpx.post(sandbox.url + "/sandbox/act", data=doing)
    assert as_form.status_code == 403 and "application/json" in as_form.json()["error"]
    elsewhere = httpx.post(
        sandbox.url + "/sandbox/act", json=doing, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403 and "other sites" in elsewhere.json()["error"]
    rebound = httpx.post(
        sandbox.url + "/sandbox/act", json=doing, headers={"Host": "evil.example:3000"}
    )
    assert rebound.status_code == 421 and "127.0.0.1" in rebound.json()["error"]
    assert "hello" not in shown(sandbox, general)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/sandbox/view?person=U0ALICE01"),
        ("GET", "/incidents"),
        ("GET", "/incidents/1"),
        ("GET", "/review.csv"),
        ("POST", "/alerts/alertmanager"),
        ("POST", "/slack/events"),
    ],
)
def test_a_page_addressed_by_another_name_gets_nothing(
    sandbox: Sandbox, method: str, path: str
) -> None:
    """A rebinding page (evil.example resolving to 127.0.0.1) reads nothing, the alert
    token printed on the page included, and sends nothing: every route checks Host."""
    page = httpx.get(sandbox.url + "/", params={"person": ALICE}).text
    found = re.search(r"Bearer ([A-Za-z0-9_.~-]+)", page)
    assert found, "the page shows the curl line with the alert token"
    token = found.group(1)
    answer = httpx.request(
        method,
        sandbox.url + path,
        headers={
            "Host": "evil.example:3000",
            "Origin": "http://evil.example:3000",
            "Authorization": f"Bearer {token}",
        },
        json={"alerts": []} if method == "POST" else None,
    )
    assert answer.status_code == 421
    assert token not in answer.text and "workspace" not in answer.text.lower()
    assert httpx.get(sandbox.url + "/", headers={"Host": "localhost:3000"}).status_code == 200


@pytest.mark.parametrize(
    ("what", "said"),
    [
        ({"kind": "message", "person": "U0NOBODY", "text": "hi"}, "Pick a person"),
        ({"kind": "message", "person": ALICE, "channel": "C404", "text": "hi"}, "does not exist"),
        ({"kind": "message", "person": ALICE, "text": "   "}, "Type something"),
        ({"kind": "fly", "person": ALICE}, "Nothing here does 'fly'"),
        ({"kind": "later", "minutes": 0}, "between 1 minute and 24 hours"),
        ({"kind": "submit", "person": ALICE, "view_id": "V404", "values": {}}, "no longer open"),
    ],
)
def test_bad_input_gets_a_sentence_and_changes_nothing(
    sandbox: Sandbox, what: dict[str, Any], said: str
) -> None:
    general = channel_named(sandbox, "general")
    what.setdefault("channel", general)
    before = shown(sandbox, general)
    answer = act(sandbox, **what)
    assert answer.status_code == 400
    assert said in answer.json()["error"]
    assert shown(sandbox, general) == before


def test_not_json_and_broken_queries_are_refused_with_a_sentence(sandbox: Sandbox) -> None:
    broken = httpx.post(
        sandbox.url + "/sandbox/act",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["error"] == "send a JSON object"
    assert httpx.get(sandbox.url + "/sandbox/wait", params={"since": "x"}).status_code == 400
    huge = httpx.post(
        sandbox.url + "/sandbox/act",
        content=b'{"kind": "message", "text": "' + b"x" * 300_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["error"] == "The body is over 256 KiB."
    nobody = httpx.get(sandbox.url + "/", params={"person": "U0NOBODY"})
    assert nobody.status_code == 404 and "nobody called" in nobody.text
    assert "Traceback" not in nobody.text
    assert httpx.get(sandbox.url + "/sandbox/files/F404").status_code == 404


def test_pages_carry_the_security_headers(sandbox: Sandbox) -> None:
    page = httpx.get(sandbox.url + "/")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"


def test_a_guest_cannot_type_where_they_were_never_let_in(sandbox: Sandbox) -> None:
    act(
        sandbox,
        kind="message",
        person=ALICE,
        channel=channel_named(sandbox, "general"),
        text="/incident declare sev3 --private Leaked prompts in the support bot logs",
    )
    wait_shown(sandbox, channel_named(sandbox, "general"), "Declared INC-")
    private = httpx.get(sandbox.url + "/", params={"person": ALICE}).text
    assert "🔒" in private  # Alice, the declarer, sees the private channel
    assert "🔒" not in httpx.get(sandbox.url + "/", params={"person": GUS}).text


def test_a_guest_sees_only_the_channels_they_were_let_into(sandbox: Sandbox) -> None:
    act(
        sandbox,
        kind="message",
        person=ALICE,
        channel=channel_named(sandbox, "general"),
        text="/incident declare sev3 Search ranking ignores the new catalogue",
    )
    wait_shown(sandbox, channel_named(sandbox, "general"), "Declared INC-")
    # The set-up goes on after that answer: the declarer is invited once the channel exists.
    deadline = time.monotonic() + 15
    while (
        "search-ranking-ignores" not in httpx.get(sandbox.url + "/", params={"person": ALICE}).text
    ):
        assert time.monotonic() < deadline, "the new channel never reached Alice's sidebar"
        time.sleep(0.05)
    gus_sees = httpx.get(sandbox.url + "/", params={"person": GUS}).text
    assert "search-ranking-ignores" not in gus_sees  # public, but a guest was not invited
    assert ">#general</a>" in gus_sees


def test_a_slash_command_the_app_does_not_own_is_answered_as_slack_does(
    sandbox: Sandbox,
) -> None:
    general = channel_named(sandbox, "general")
    assert act(
        sandbox, kind="message", person=ALICE, channel=general, text="/deploy now"
    ).is_success
    assert "/deploy is not a valid command" in shown(sandbox, general)


def test_the_workspace_outlives_a_restart_and_new_channels_never_reuse_old_ids(
    tmp_path: Path,
) -> None:
    first = start_sandbox(tmp_path)
    try:
        general = channel_named(first, "general")
        act(
            first,
            kind="message",
            person=ALICE,
            channel=general,
            text="/incident declare sev2 Ranking model returns yesterday's scores",
        )
        view = wait_shown(first, general, "Declared INC-1")
        old = channel_named(first, "inc-" + view.split("#inc-")[1].split("<")[0])
    finally:
        stop_sandbox(first)
    second = start_sandbox(tmp_path)
    try:
        assert "Ranking model returns yesterday" in shown(second, old)
        act(
            second,
            kind="message",
            person=ALICE,
            channel=general,
            text="/incident declare sev2 Embedding service times out",
        )
        view = wait_shown(second, general, "Declared INC-2")
        new = channel_named(
            second, "inc-" + view.split("Declared INC-2")[1].split("#inc-")[1].split("<")[0]
        )
        assert new != old
        assert "Ranking model" not in shown(second, new)
    finally:
        stop_sandbox(second)


def test_it_listens_on_the_loopback_address_only(sandbox: Sandbox) -> None:
    """Every socket the sandbox listens on (its page and the bot, its local Slack) is
    bound to 127.0.0.1, read from the kernel's own tables."""
    fds = Path(f"/proc/{sandbox.process.pid}/fd")
    inodes = {
        link.split("[")[1].rstrip("]")
        for link in (os.readlink(fd) for fd in fds.iterdir())
        if link.startswith("socket:[")
    }
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                listening.append(fields[1].rsplit(":", 1)[0])
    assert len(listening) >= 2  # the page with the bot, and the local Slack's Web API
    assert set(listening) == {"0100007F"}  # 127.0.0.1 and nothing else


def test_a_port_in_use_is_refused_with_a_sentence() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        ran = run_cli("sandbox", "--port", str(port))  # refused before anything starts
    finally:
        taken.close()
    assert ran.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in ran.stderr and "--port" in ran.stderr


def test_the_console_shows_what_the_person_picked_on_the_page_may_read(sandbox: Sandbox) -> None:
    """In the sandbox nobody signs in: the console's viewer is the page's person."""
    general = channel_named(sandbox, "general")
    said = act(
        sandbox,
        kind="message",
        person=ALICE,
        channel=general,
        text="/incident declare sev3 Console check: ranker skews <b>new</b> users",
    )
    assert said.status_code == 200, said.text
    browser = httpx.Client(base_url=sandbox.url, timeout=10)
    browser.get("/", params={"person": "U0DAN0004"})  # Dan is picked
    deadline = time.monotonic() + 15
    while "Console check" not in (listed := browser.get("/incidents")).text:
        assert time.monotonic() < deadline, listed.text
        time.sleep(0.1)
    assert 'id="viewer">dan<' in listed.text
    assert "ranker skews &lt;b&gt;new&lt;/b&gt; users" in listed.text
    number = listed.text.split('data-number="')[1].split('"')[0]
    page = browser.get(f"/incidents/{number}")
    assert page.status_code == 200
    assert 'href="/?channel=C' in page.text  # the channel opens on the sandbox's own page
    assert browser.get("/signin", follow_redirects=False).headers["location"] == "/"


def test_skipping_ahead_says_how_many_things_it_sent(sandbox: Sandbox) -> None:
    """ "Sent what was due in the next 15 minutes (1)" came after three injects: it
    counted drills, not what was sent."""
    general = channel_named(sandbox, "general")
    act(
        sandbox,
        kind="message",
        person=ALICE,
        channel=general,
        text="/incident drill churn-schema-nulls",
    )
    wait_shown(sandbox, general, "churn")  # the drill is under way
    said = act(sandbox, kind="later", minutes=120).json()["said"]
    found = re.match(
        r"Sent (?:\d+ reminders? and )?(\d+) drill injects due in the next 2 hours\.", said
    )
    assert found and int(found.group(1)) >= 2, said
    assert re.fullmatch(
        r"Nothing was due in the next minute\.|Sent (1 reminder|1 drill inject)( and 1 drill"
        r" inject)? due in the next minute\.",
        act(sandbox, kind="later", minutes=1).json()["said"],
    )
