"""The sample alert the sandbox sends: Prometheus Alertmanager's webhook (version 4), as
Alertmanager posts it for one firing alert of an ML model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

ALERT_NAME = "FraudModelPrecisionLow"


def alertmanager_payload(now: datetime) -> dict[str, Any]:
    labels = {
        "alertname": ALERT_NAME,
        "severity": "critical",
        "model": "fraud-scorer",
        "team": "risk",
    }
    annotations = {
        "summary": "Precision of the fraud model fell below 0.8 for 10 minutes",
        "description": "fraud-scorer flags 40% of legitimate payments since the 09:00 deploy",
    }
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": annotations,
        "startsAt": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=fraud_precision",
        "fingerprint": f"sandbox-{int(now.timestamp())}",
    }
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{ALERT_NAME}", at="{int(now.timestamp())}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "incidentbot",
        "groupLabels": {"alertname": ALERT_NAME},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": [alert],
    }
