"""A shared file is for the people who can see a channel it was shared in, as in Slack:
the post-mortem of a private incident is not a download for everyone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from slack_sdk import WebClient
from starlette.applications import Starlette

from bot.sandbox import SlackStandIn, people
from bot.sandbox.page import SandboxPage
from tests.support import free_port

ALICE, BOB = "U0ALICE01", "U0BOB0002"


@pytest.fixture
def page_url() -> Iterator[tuple[str, SlackStandIn]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with SlackStandIn() as slack:
        people.furnish(slack)
        sandbox_page = SandboxPage(slack, url, alert_token=None)
        server = uvicorn.Server(
            uvicorn.Config(
                Starlette(routes=sandbox_page.routes()),
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        yield url, slack
        server.should_exit = True
        thread.join(timeout=10)


def test_a_private_channels_file_downloads_only_for_its_members(
    page_url: tuple[str, SlackStandIn],
) -> None:
    url, slack = page_url
    web = WebClient(token=slack.token, base_url=slack.api_url)
    private = web.conversations_create(name="inc-private-leak", is_private=True)["channel"]["id"]
    web.conversations_invite(channel=private, users=ALICE)
    uploaded = web.files_upload_v2(channel=private, content=b"# Post-mortem\n", filename="pm.md")
    file_id = uploaded["files"][0]["id"]

    member = httpx.get(f"{url}/sandbox/files/{file_id}", params={"person": ALICE})
    assert member.status_code == 200 and member.content == b"# Post-mortem\n"
    assert member.headers["content-disposition"] == 'attachment; filename="pm.md"'
    for outsider in ({"person": BOB}, {}):
        refused = httpx.get(f"{url}/sandbox/files/{file_id}", params=outsider)
        assert refused.status_code == 404 and "that you can see" in refused.text
