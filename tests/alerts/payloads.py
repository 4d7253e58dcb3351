"""Alert payloads shaped as each source documents them, for tests and the benchmark."""

from __future__ import annotations

from typing import Any

ALERTMANAGER_RECEIVER = "incidentbot"


def am_alert(
    name: str = "FraudPrecisionLow",
    *,
    status: str = "firing",
    fingerprint: str | None = None,
    severity: str = "critical",
    model: str = "fraud-scorer",
    summary: str = "Precision of the fraud model fell below 0.8",
    starts_at: str = "2026-11-23T09:12:00.123456789Z",
    ends_at: str = "0001-01-01T00:00:00Z",
    **annotations: str,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "severity": severity, "model": model, "team": "risk"},
        "annotations": {"summary": summary, **annotations},
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=fraud_precision",
        "fingerprint": fingerprint or f"fp-{name.lower()}",
    }


def alertmanager(
    *alerts: dict[str, Any],
    group_key: str = '{}:{alertname="FraudPrecisionLow"}',
    receiver: str = ALERTMANAGER_RECEIVER,
) -> dict[str, Any]:
    alerts = alerts or (am_alert(),)
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": receiver,
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": _common([a["labels"] for a in alerts]),
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": list(alerts),
    }


def grafana(
    status: str = "firing", group_key: str = '{}:{alertname="Prediction rate"}'
) -> dict[str, Any]:
    alert = {
        "status": status,
        "labels": {"alertname": "Prediction rate", "severity": "warning", "model": "recsys-ranker"},
        "annotations": {
            "summary": "Recommendations served per minute fell 60%",
            "runbook_url": "https://runbooks.example.com/recsys",
        },
        "startsAt": "2026-11-23T08:00:00+01:00",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "https://grafana.example.com/alerting/grafana/abc/view",
        "fingerprint": "c6eadffa33fcdf37",
        "silenceURL": "https://grafana.example.com/alerting/silence/new",
        "dashboardURL": "https://grafana.example.com/d/recsys",
        "panelURL": "https://grafana.example.com/d/recsys?viewPanel=2",
        "values": {"B": 44.2, "C": 1},
        "valueString": "[ var='B' value=44.2 ]",
    }
    return {
        "receiver": "ml-grafana",
        "status": status,
        "orgId": 1,
        "alerts": [alert],
        "groupLabels": {"alertname": "Prediction rate"},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "https://grafana.example.com/",
        "version": "1",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "title": f"[{status.upper()}:1] Prediction rate (recsys-ranker)",
        "state": "alerting" if status == "firing" else "ok",
        "message": "**Firing**\n\nValue: B=44.2",
    }


def generic(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Credit model approval rate shifted for one group",
        "dedup_key": "credit-fairness-2026-11",
        "severity": "sev2",
        "model": "credit-scorer",
        "description": "Approval rate for applicants over 60 fell from 41% to 22%",
        "started_at": "2026-11-23T07:30:00Z",
        "links": {"Evidently report": "https://reports.example.com/credit/drift"},
        "labels": {"team": "lending", "monitor": "evidently"},
    }
    body.update(overrides)
    return body


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    """What Alertmanager sends as common: the pairs every alert of the group shares."""
    first, *rest = maps
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}
