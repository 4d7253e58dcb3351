"""Each source's payload becomes one normalised batch, or a 4xx naming every problem."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.alerts import alertmanager, generic, grafana
from bot.alerts.normalized import PayloadError
from tests.alerts import payloads


def problems(parse, payload) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(PayloadError) as caught:
        parse(payload)
    assert caught.value.status == 422
    return caught.value.problems


def test_alertmanager_reads_groups_times_and_links() -> None:
    batch = alertmanager.parse(
        payloads.alertmanager(
            payloads.am_alert(runbook_url="https://runbooks.example.com/x"),
            payloads.am_alert("Other", status="resolved", ends_at="2026-11-23T10:00:00Z"),
        )
    )
    assert batch.source == "alertmanager" and batch.route == "incidentbot"
    first, second = batch.alerts
    # Go's nanoseconds are cut to microseconds; Go's zero time means "no end yet".
    assert first.starts_at == datetime(2026, 11, 23, 9, 12, 0, 123456, tzinfo=UTC)
    assert first.ends_at is None
    assert first.links == {
        "Source": "http://prometheus.example.com/graph?g0.expr=fraud_precision",
        "Runbook": "https://runbooks.example.com/x",
    }
    assert not second.firing and second.ends_at == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert batch.dedup_hash == alertmanager.parse(payloads.alertmanager()).dedup_hash


def test_alertmanager_refusals_name_every_problem() -> None:
    body = payloads.alertmanager()
    body["version"] = "3"
    body["alerts"][0]["status"] = "burning"
    body["alerts"][0]["startsAt"] = "yesterday"
    body["alerts"][0]["labels"] = {"alertname": ["not", "text"]}
    found = problems(alertmanager.parse, body)
    assert "version: is '3'; this bot reads Alertmanager's version \"4\"" in found
    assert "alerts[0].status: must be 'firing' or 'resolved'" in found
    assert "alerts[0].startsAt: 'yesterday' is not an RFC 3339 timestamp" in found
    assert "alerts[0].labels.alertname: must be a string" in found
    assert problems(alertmanager.parse, {**payloads.alertmanager(), "groupKey": ""}) == [
        "groupKey: is required"
    ]
    with pytest.raises(PayloadError, match="JSON object"):
        alertmanager.parse([])


def test_links_that_are_not_plain_web_links_are_dropped() -> None:
    batch = alertmanager.parse(
        payloads.alertmanager(
            payloads.am_alert(
                runbook_url="javascript:alert(1)", dashboard_url="https://x.example/<!channel>"
            )
        )
    )
    assert set(batch.alerts[0].links) == {"Source"}


def test_grafana_keys_groups_by_organisation_and_takes_its_title_and_panel_links() -> None:
    batch = grafana.parse(payloads.grafana())
    assert batch.group_key.startswith("org1:")
    assert batch.title == "Prediction rate (recsys-ranker)"
    assert batch.alerts[0].links["Panel"] == "https://grafana.example.com/d/recsys?viewPanel=2"
    other_org = grafana.parse({**payloads.grafana(), "orgId": 2})
    assert other_org.dedup_hash != batch.dedup_hash
    assert "orgId: must be a number" in problems(
        grafana.parse, {**payloads.grafana(), "orgId": "1"}
    )


def test_generic_alert_fields_and_refusals() -> None:
    batch = generic.parse(payloads.generic(links=[{"title": "Report", "url": "https://r.example"}]))
    (alert,) = batch.alerts
    assert alert.labels["severity"] == "sev2" and alert.labels["model"] == "credit-scorer"
    assert alert.links == {"Report": "https://r.example"}
    assert batch.group_key == "credit-fairness-2026-11"
    found = problems(
        generic.parse,
        {"title": 5, "status": "maybe", "links": {"x": "ftp://a"}, "colour": "red"},
    )
    assert "title: must be a string" in found
    assert "dedup_key: is required" in found
    assert "status: must be 'firing' or 'resolved'" in found
    assert "links.x: must be an http(s) URL" in found
    assert "colour: unknown field (put free-form data in labels)" in found
