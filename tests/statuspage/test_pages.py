"""The public pages over real HTTP, on a real database: /status (components now, open
incidents, the 90-day bars, past incidents), one incident's story, the Atom feed and
/status.json in Atlassian Statuspage's summary shape; ETags and 304s, the security
headers, escaped public text, a 404 that says so, and no route at all when unset."""

from __future__ import annotations

import asyncio
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from bot.app.services import Services
from bot.incidents.permissions import Actor, Policy
from bot.runtime.web import create_app
from bot.statuspage import components as components_file
from bot.statuspage.pages import StatusPages
from bot.statuspage.publishing import Publication, publish
from bot.statuspage.states import ComponentState, PublicStatus
from bot.store.db import Database
from bot.store.models import Incident
from bot.web.sites import with_headers
from tests.conftest import ALICE
from tests.statuspage.conftest import EXAMPLE
from tests.support import free_port

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
PAGE = components_file.load(EXAMPLE)


def _incident(db: Database, declared: datetime, service: str = "fraud-scorer") -> int:
    with db.begin() as session:
        row = Incident(
            title="internal: v7 drift on merchant_category",
            severity="sev2",
            service=service,
            declared_by=ALICE,
            declared_at=declared,
        )
        session.add(row)
        session.flush()
        return row.id


def _publish(db: Database, incident_id: int, when: datetime, **chosen: object) -> str:
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        done = publish(
            session,
            incident,
            PAGE,
            Policy(),
            Actor(ALICE),
            Publication(**chosen),  # type: ignore[arg-type]
            now=when,
        )
        return done.public_id


@pytest.fixture
def served(db: Database) -> Iterator[str]:
    port = free_port()
    app = with_headers(
        Starlette(routes=StatusPages(db, PAGE, clock=lambda: NOW).routes()), lambda _: True
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_pages_show_what_was_published_and_only_that(db: Database, served: str) -> None:
    # A past incident: Support chat was down 10 days ago for two hours.
    past = _incident(db, NOW - timedelta(days=10))
    old = _publish(
        db,
        past,
        NOW - timedelta(days=10),
        text="The help centre assistant is not answering.",
        title="Support chat unavailable",
        components={"support-chat": ComponentState.MAJOR},
    )
    _publish(
        db,
        past,
        NOW - timedelta(days=10, hours=-2),
        text="Support chat works again.",
        status=PublicStatus.RESOLVED,
    )
    # An open one, with words that would be markup if they were not escaped.
    now_open = _incident(db, NOW - timedelta(hours=1))
    story = _publish(
        db,
        now_open,
        NOW - timedelta(hours=1),
        text="Some card payments are declined <script>alert(1)</script> & retried.",
    )

    front = httpx.get(f"{served}/status")
    assert front.status_code == 200
    assert "default-src 'self'" in front.headers["content-security-policy"]
    assert front.headers["cache-control"] == "public, max-age=30"
    html = front.text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; retried" in html
    assert '<h1 id="overall">Partial System Outage</h1>' in html
    assert "Card payments: partial outage" in html  # the public title, from the components
    assert "internal: v7 drift" not in html  # never the internal title
    assert 'class="state state-partial_outage">Partial outage<' in html
    assert "Support chat unavailable" in html  # under past incidents
    assert "27 Nov 2026: Major outage" in html  # its day on the bar, listed for screen readers
    assert "99.90% uptime; 1 day with incidents" in html  # 2 h of 90 days

    again = httpx.get(f"{served}/status", headers={"If-None-Match": front.headers["etag"]})
    assert again.status_code == 304 and again.content == b""

    one = httpx.get(f"{served}/status/incidents/{old}")
    assert one.status_code == 200
    assert "Support chat works again." in one.text and "Resolved" in one.text
    missing = httpx.get(f"{served}/status/incidents/nosuch")
    assert missing.status_code == 404 and "No such incident" in missing.text
    assert httpx.get(f"{served}/status/incidents/{'x' * 300}").status_code == 404

    summary = httpx.get(f"{served}/status.json").json()
    assert set(summary) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    states = {c["id"]: c["status"] for c in summary["components"]}
    assert states == {
        "card-payments": "partial_outage",
        "recommendations": "operational",
        "support-chat": "operational",
    }
    [incident] = summary["incidents"]  # unresolved ones only, as Statuspage's summary
    assert (incident["id"], incident["status"], incident["impact"]) == (
        story,
        "investigating",
        "major",
    )
    assert incident["incident_updates"][0]["body"].startswith("Some card payments are declined")
    assert incident["incident_updates"][0]["affected_components"] == [
        {"code": "card-payments", "name": "Card payments", "new_status": "partial_outage"}
    ]

    feed = httpx.get(f"{served}/status/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(feed.content).findall("a:entry", ns)
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == [
        "Card payments: partial outage: Investigating",
        "Support chat unavailable: Resolved",
        "Support chat unavailable: Investigating",
    ]

    # A new publication changes the ETag: the cached page is not served for it.
    _publish(db, now_open, NOW, text="Payments work again.", status=PublicStatus.RESOLVED)
    after = httpx.get(f"{served}/status", headers={"If-None-Match": front.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != front.headers["etag"]
    assert '<h1 id="overall">All Systems Operational</h1>' in after.text


def test_unset_there_is_no_public_route(services: Services) -> None:
    assert services.settings.status_page is None
    app = create_app(services, None)

    async def asked() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            paths = ("/status", "/status.json", "/status/feed.atom", "/status/incidents/abc")
            return [(await client.get(path)).status_code for path in paths]

    # In a thread of its own: a browser test in this process may have left a loop running.
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, asked()).result() == [404, 404, 404, 404]


def test_the_example_file_explains_depends_on_in_plain_words() -> None:
    comments = " ".join(
        line.lstrip("# ") for line in EXAMPLE.read_text().splitlines() if line.startswith("#")
    )
    assert "depends_on lists the models and services (as incidents name them) whose " in comments
    assert "whose incidents affect that component." in comments
