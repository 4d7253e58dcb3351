"""Every Block Kit block and element the page draws, drawn and used in Chromium: each
control sends what Slack sends for it, signed, to an app that only records.

The app here is not the bot: it is a recorder at ``/slack/events``, so the test can
read exactly what a person's click became. The page and the local Slack are the
sandbox's own, served over HTTP by uvicorn.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
import uvicorn
from playwright.sync_api import Page, expect
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.sandbox import SlackStandIn, people
from bot.sandbox.page import SandboxPage
from bot.slack.listeners.signing import Verifier
from bot.web.sites import with_headers
from tests.support import free_port

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]

ALICE, BOB = "U0ALICE01", "U0BOB0002"
# A 2x2 red PNG: an image the page's policy allows (data: URLs), unlike a remote one.
RED_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4"
    "z8DAwMDAxMDAAAAVwAL/ZrvAoAAAAABJRU5ErkJggg=="
)


def text(words: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": kind, "text": words}


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": text(label, "plain_text"), "value": value}


GALLERY = [
    {"type": "header", "text": text("Gallery header", "plain_text")},
    {
        "type": "section",
        "text": text("*Bold* and _italic_ with &lt;b&gt;not markup&lt;/b&gt; for <@U0BOB0002>"),
        "fields": [text("*Severity*\nSEV2"), text("*Status*\nInvestigating")],
        "accessory": {
            "type": "overflow",
            "action_id": "more",
            "options": [option("Rename", "rename"), option("Archive", "archive")],
        },
    },
    {
        "type": "context",
        "elements": [
            text("context words"),
            {"type": "image", "image_url": RED_PNG, "alt_text": "dot"},
        ],
    },
    {"type": "divider"},
    {
        "type": "image",
        "image_url": RED_PNG,
        "alt_text": "a red chart",
        "title": text("Chart", "plain_text"),
    },
    {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "remote chart"},
    {
        "type": "actions",
        "block_id": "controls",
        "elements": [
            {
                "type": "button",
                "action_id": "press",
                "text": text("Press me", "plain_text"),
                "value": "v1",
                "style": "primary",
            },
            {
                "type": "static_select",
                "action_id": "pick",
                "placeholder": text("Pick a colour", "plain_text"),
                "options": [option("Red", "red"), option("Blue", "blue")],
            },
            {
                "type": "users_select",
                "action_id": "who",
                "placeholder": text("Pick a person", "plain_text"),
            },
            {
                "type": "conversations_select",
                "action_id": "where",
                "placeholder": text("Pick a channel", "plain_text"),
            },
            {
                "type": "datepicker",
                "action_id": "when",
                "placeholder": text("Pick a day", "plain_text"),
            },
        ],
    },
    {
        "type": "section",
        "block_id": "ticks",
        "text": text("1. Roll back the model"),
        "accessory": {"type": "checkboxes", "action_id": "done", "options": [option("Done", "0")]},
    },
]


@dataclass
class Gallery:
    url: str
    slack: SlackStandIn
    channel: str
    received: list[dict[str, Any]] = field(default_factory=list)

    def next_action(self, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.received:
                payload = self.received.pop(0)
                assert payload["type"] == "block_actions" and payload["user"]["id"] == ALICE
                return dict(payload["actions"][0])
            time.sleep(0.02)
        raise AssertionError("the page sent nothing")


@pytest.fixture
def gallery() -> Iterator[Gallery]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with SlackStandIn() as slack:
        people.furnish(slack)
        general = slack.channel_named("general")
        assert general is not None
        found = Gallery(url, slack, general.id)
        verifier = Verifier(slack.signing_secret)

        async def record(request: Request) -> Response:
            body = await request.body()
            moment, signature = verifier.check_headers(request.headers)
            verifier.verify(moment, signature, body)  # signed as Slack signs
            found.received.append(json.loads(parse_qs(body.decode())["payload"][0]))
            return Response(status_code=200)

        sandbox_page = SandboxPage(slack, url, alert_token=None)
        app = Starlette(
            routes=[*sandbox_page.routes(), Route("/slack/events", record, methods=["POST"])]
        )
        server = uvicorn.Server(
            uvicorn.Config(
                with_headers(app, lambda _: True),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                timeout_graceful_shutdown=1,
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        WebClient(token=slack.token, base_url=slack.api_url).chat_postMessage(
            channel=general.id, text="gallery", blocks=GALLERY
        )
        yield found
        sandbox_page.changes.close()  # the browser's long poll lets go
        server.should_exit = True
        thread.join(timeout=10)


def test_every_block_is_drawn_and_every_control_sends_what_slack_sends(
    page: Page, gallery: Gallery
) -> None:
    page.goto(gallery.url + "/")
    message = page.locator(".message").filter(has_text="Gallery header")
    expect(message.get_by_role("heading", name="Gallery header")).to_be_visible()
    expect(message.locator(".bk-text strong")).to_have_text("Bold")
    expect(message.locator(".bk-text em")).to_have_text("italic")
    expect(message).to_contain_text("<b>not markup</b>")
    expect(message.locator(".mention")).to_have_text("@bob")
    expect(message.locator(".bk-field")).to_have_count(2)
    expect(message.locator(".bk-context")).to_contain_text("context words")
    expect(message.locator("hr.bk-divider")).to_have_count(1)
    expect(message.get_by_role("img", name="a red chart")).to_be_visible()
    expect(message).to_contain_text("remote chart")  # the page's policy loads no remote image
    assert message.locator("img[src^='https:']").count() == 0

    message.get_by_role("button", name="Press me").click()
    assert gallery.next_action() | {"action_ts": ""} == {
        "type": "button",
        "block_id": "controls",
        "action_id": "press",
        "value": "v1",
        "action_ts": "",
    }

    message.get_by_role("combobox", name="Pick a colour").select_option("blue")
    assert gallery.next_action()["selected_option"]["value"] == "blue"

    message.get_by_role("combobox", name="Pick a person").select_option(label="bob")
    assert gallery.next_action()["selected_user"] == BOB

    message.get_by_role("combobox", name="Pick a channel").select_option(label="#incidents")
    incidents = gallery.slack.channel_named("incidents")
    assert incidents is not None
    assert gallery.next_action()["selected_conversation"] == incidents.id

    message.get_by_role("textbox", name="Pick a day").fill("2026-12-24")
    assert gallery.next_action()["selected_date"] == "2026-12-24"

    message.get_by_label("More options").click()
    message.get_by_role("menuitem", name="Archive").click()
    chosen = gallery.next_action()
    assert chosen["action_id"] == "more" and chosen["selected_option"]["value"] == "archive"

    message.get_by_role("checkbox", name="Done").check()
    ticked = gallery.next_action()
    assert ticked["block_id"] == "ticks" and [o["value"] for o in ticked["selected_options"]] == [
        "0"
    ]
