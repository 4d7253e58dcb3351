"""Signing in to the console through the local Slack's Sign in with Slack, as a browser
would: follow the redirects, pick a person on Slack's page, allow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.sandbox import SlackStandIn
from bot.store.db import Database
from tests.support import BotProcess

CLIENT_ID, CLIENT_SECRET = "1111.2222", "console-client-secret"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@contextmanager
def console_bot(slack: SlackStandIn, database_url: str, **env: str) -> Iterator[BotProcess]:
    """``incidentbot serve`` with the console on, its app registered with the local Slack."""
    bot = BotProcess(
        slack,
        database_url,
        INCIDENTBOT_WEB_CLIENT_ID=CLIENT_ID,
        INCIDENTBOT_WEB_CLIENT_SECRET=CLIENT_SECRET,
        **env,
    )
    bot.env.setdefault("INCIDENTBOT_WEB_URL", bot.url)
    slack.oidc.register(
        CLIENT_ID, CLIENT_SECRET, bot.env["INCIDENTBOT_WEB_URL"] + "/signin/callback"
    )
    bot.migrate()  # a copy of the migrated template, as every bot test's
    bot.start()
    try:
        yield bot
    finally:
        bot.stop()


def authorize(slack: SlackStandIn, location: str, user: str, answer: str = "allow") -> str:
    """Slack's page for ``location`` (the authorize URL), answered as ``user``: where
    Slack sends the browser back."""
    page = httpx.get(location, timeout=10)
    assert page.status_code == 200, page.text
    fields = dict(_HIDDEN.findall(page.text))
    answered = httpx.post(
        slack.base_url + "/openid/connect/authorize",
        data={**fields, "user": user, "answer": answer},
        timeout=10,
    )
    assert answered.status_code == 302, answered.text
    return answered.headers["location"]


def start(browser: httpx.Client, target: str = "/incidents") -> str:
    """Ask for ``target`` signed out and start signing in: the authorize URL."""
    asked = browser.get(target)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/signin?next=")
    nxt = parse_qs(urlsplit(asked.headers["location"]).query)["next"][0]
    started = browser.get("/signin/start", params={"next": nxt})
    assert started.status_code == 302, started.text
    return started.headers["location"]


def signed_in(
    bot: BotProcess, slack: SlackStandIn, user: str, target: str = "/incidents"
) -> httpx.Client:
    browser = httpx.Client(base_url=bot.url, timeout=20)
    back = authorize(slack, start(browser, target), user)
    landed = browser.get(back)
    assert landed.status_code == 303, landed.text
    assert landed.headers["location"] == target
    return browser


def seeded(database_url: str) -> dict[str, int]:
    from tests.review.story import build

    db = Database(database_url)
    try:
        return build(db)
    finally:
        db.dispose()
