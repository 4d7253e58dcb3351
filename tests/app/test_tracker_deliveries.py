"""A tracker's delivery that cannot be applied is answered 503 (the tracker delivers it
again) and holds back nothing: the next delivery, of another ticket, is applied."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from bot.app.services import Services
from bot.runtime.web import create_app
from bot.tracking import tickets as tracked
from tests.app import test_tickets
from tests.app.test_tickets import add_item, open_incident
from tests.tracker_standins.jira import JiraStandIn

SECRET = "jira-webhook-secret"


@pytest.fixture
def services_env(jira: Any, confluence: Any) -> dict[str, str]:
    return {
        **test_tickets.services_env.__wrapped__(jira, confluence),  # type: ignore[attr-defined]
        "INCIDENTBOT_JIRA_WEBHOOK_SECRET": SECRET,
    }


def deliver(services: Services, body: dict[str, Any]) -> httpx.Response:
    """Jira's signed delivery, to the bot's own routes (in this process)."""
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(services, None))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.post(
                "/jira/webhook", content=raw, headers={"X-Hub-Signature": signature}
            )

    # In a thread of its own: the test's thread may have an event loop running already.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, post()).result(timeout=30)


def test_a_failing_delivery_is_a_503_and_the_next_one_is_applied(
    services: Services, jira: JiraStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = open_incident(services)
    add_item(services, incident, "Pin the feature store version --ticket")
    add_item(services, incident, "Alert on null rates --ticket")
    assert sorted(jira.issues) == ["FRAUD-1", "FRAUD-2"]
    close = tracked.close_from_tracker

    def failing(session: Any, provider: str, ref: str, now: Any) -> Any:
        if ref == "FRAUD-1":
            raise RuntimeError("the database refused the change")
        return close(session, provider, ref, now)

    monkeypatch.setattr(tracked, "close_from_tracker", failing)
    first = deliver(services, jira.close("FRAUD-1"))
    assert first.status_code == 503 and "deliver it again" in first.json()["error"]
    second = deliver(services, jira.close("FRAUD-2"))
    assert second.json()["outcome"] == "the action item is marked done"
    monkeypatch.setattr(tracked, "close_from_tracker", close)
    again = deliver(services, jira.close("FRAUD-1"))  # Jira's own redelivery
    assert again.json()["outcome"] == "the action item is marked done"
