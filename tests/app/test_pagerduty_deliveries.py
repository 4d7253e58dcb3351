"""PagerDuty's deliveries that cannot be applied never hold back the ones after them;
the same event re-sent under a new header is applied once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.app import set_aside
from bot.app.paging import webhooks
from bot.app.services import Services
from bot.incidents.kinds import EventKind
from bot.incidents.severity import Severity
from bot.paging import page_records
from bot.sandbox import SlackStandIn
from tests.app import test_paging
from tests.app.test_paging import events, open_incident
from tests.pager_standins.pagerduty import PagerDutyStandIn

# The paging tests' PagerDuty stand-in and settings.
pagerduty, executives, services_env = (
    test_paging.pagerduty,
    test_paging.executives,
    test_paging.services_env,
)

POISON = "Poison Pill"


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """A delivery that fails every time it is applied (a bug, a constraint the database
    refuses): applying a change by ``POISON`` raises."""
    apply = page_records.apply

    def failing(session: Any, change: Any, provider: str) -> Any:
        if change.by == POISON:
            raise RuntimeError("the database refused the change")
        return apply(session, change, provider)

    monkeypatch.setattr(page_records, "apply", failing)


def test_a_delivery_that_fails_is_set_aside_and_never_holds_back_the_others(
    services: Services, pagerduty: PagerDutyStandIn, poisoned: None
) -> None:
    first = open_incident(services, Severity.SEV1)
    second = open_incident(services, Severity.SEV1, "Second")
    (page_one,) = pagerduty.pages_for(f"{first.reference}:")
    (page_two,) = pagerduty.pages_for(f"{second.reference}:")
    bad = pagerduty.delivery("incident.acknowledged", page_one.id, POISON)
    same_incident = pagerduty.delivery("incident.reassigned", page_one.id, "Olive")
    other_incident = pagerduty.delivery("incident.acknowledged", page_two.id, "Basil")
    for webhook_id, body in (("W1", bad), ("W2", same_incident), ("W3", other_incident)):
        assert webhooks.store_delivery(services, webhook_id, body)

    webhooks.apply_deliveries(services)  # the first sweep
    # Another incident's delivery does not wait for the bad one; the same incident's does.
    assert len(events(services, second.id, EventKind.PAGE_ACKNOWLEDGED)) == 1
    assert events(services, first.id, EventKind.PAGE_REASSIGNED) == []

    for _ in range(webhooks.MAX_ATTEMPTS - 1):  # later sweeps, until it is set aside
        webhooks.apply_deliveries(services)
    (kept,) = set_aside.listing(services.db)
    assert kept.reference.startswith("pagerduty:") and kept.attempts == webhooks.MAX_ATTEMPTS
    assert kept.error == "RuntimeError: the database refused the change"
    assert len(events(services, first.id, EventKind.PAGE_REASSIGNED)) == 1  # then it went
    assert events(services, first.id, EventKind.PAGE_ACKNOWLEDGED) == []

    webhooks.apply_deliveries(services)  # set aside: no more tries
    assert set_aside.listing(services.db)[0].attempts == webhooks.MAX_ATTEMPTS
    # An operator owes it again; it fails again, and is tried again at each sweep.
    assert set_aside.retry(services.db, kept.reference)
    assert set_aside.listing(services.db) == []
    assert not set_aside.retry(services.db, kept.reference)  # not set aside now
    assert set_aside.drop(services.db, kept.reference) is False
    for _ in range(webhooks.MAX_ATTEMPTS):
        webhooks.apply_deliveries(services)
    assert set_aside.drop(services.db, kept.reference)
    assert set_aside.listing(services.db) == []


def test_values_pagerduty_would_never_send_are_read_not_failed_on(
    services: Services, pagerduty: PagerDutyStandIn
) -> None:
    """A 20-digit escalation level and a time in year 1 failed to apply (too large for
    the column; out of range in UTC) and, stored, stopped every delivery after them."""
    incident = open_incident(services, Severity.SEV1)
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    body = json.loads(pagerduty.delivery("incident.escalated", page.id, "Olive"))
    body["event"]["data"]["escalation_level"] = 10**19
    body["event"]["occurred_at"] = "0001-01-01T00:00:00-14:00"
    assert webhooks.store_delivery(services, "W-odd", json.dumps(body).encode())
    ack = pagerduty.delivery("incident.acknowledged", page.id, "Olive")
    assert webhooks.store_delivery(services, "W-after", ack)
    assert webhooks.apply_deliveries(services) == 2
    assert len(events(services, incident.id, EventKind.PAGE_ACKNOWLEDGED)) == 1
    assert set_aside.listing(services.db) == []


def test_the_same_event_under_a_new_webhook_id_is_applied_once(
    services: Services, slack: SlackStandIn, pagerduty: PagerDutyStandIn
) -> None:
    """The signature covers the body, not X-Webhook-Id: a captured delivery re-sent with
    a fresh header is the same event (its signed ``event.id``)."""
    incident = open_incident(services, Severity.SEV1)
    (page,) = pagerduty.pages_for(f"{incident.reference}:")
    body = pagerduty.delivery("incident.reassigned", page.id, "Olive")
    assert webhooks.store_delivery(services, "W-first", body)
    assert not webhooks.store_delivery(services, "W-replayed", body)
    assert not webhooks.store_delivery(services, "W-again", body)
    webhooks.apply_deliveries(services)
    assert len(events(services, incident.id, EventKind.PAGE_REASSIGNED)) == 1
