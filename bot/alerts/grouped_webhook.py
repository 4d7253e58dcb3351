"""The grouped webhook shape Alertmanager created and Grafana's contact point reuses.

Both send one group per request: ``groupKey``, an overall ``status``, the
``receiver`` (the route it came through), common labels and annotations, and
``alerts``, each with labels, annotations, start and end, a generator URL and
a fingerprint. The two sources differ only in a few extra fields.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from bot.alerts.normalized import (
    Alert,
    AlertBatch,
    Checker,
    PayloadError,
    alert_name,
    annotation_links,
    web_link,
)

MAX_ALERTS = 1000


def parse_grouped(
    payload: Any, source: str, label: str, link_fields: Mapping[str, str]
) -> tuple[AlertBatch, Checker, Mapping[str, Any]]:
    """Read the shared fields; ``link_fields`` maps per-alert URL fields to bookmark titles.

    Returns the checker unraised so a source can add its own checks first.
    """
    if not isinstance(payload, Mapping):
        raise PayloadError(f"A {label} payload is a JSON object.")
    check = Checker()
    group_key = check.text(payload, "groupKey", "", required=True)
    status = check.status(payload, "")
    receiver = check.text(payload, "receiver", "", required=False, limit=200)
    common_labels = check.string_map(payload.get("commonLabels"), "commonLabels")
    common_annotations = check.string_map(payload.get("commonAnnotations"), "commonAnnotations")
    raw_alerts = payload.get("alerts")
    alerts: list[Alert] = []
    if not isinstance(raw_alerts, list) or not raw_alerts:
        check.fail("alerts", "must be a non-empty list")
    elif len(raw_alerts) > MAX_ALERTS:
        check.fail("alerts", f"has {len(raw_alerts)} alerts; at most {MAX_ALERTS} per request")
    else:
        for index, raw in enumerate(raw_alerts):
            alert = _alert(check, raw, f"alerts[{index}]", link_fields)
            if alert is not None:
                alerts.append(alert)
    batch = AlertBatch(
        source=source,
        group_key=group_key or "",
        status=status,
        alerts=tuple(alerts),
        route=receiver,
        common_labels=common_labels,
        common_annotations=common_annotations,
    )
    return batch, check, payload


def _alert(check: Checker, raw: Any, path: str, link_fields: Mapping[str, str]) -> Alert | None:
    data = check.obj(raw, path)
    if not data:
        return None
    before = len(check.problems)
    status = check.status(data, path)
    labels = check.string_map(data.get("labels"), f"{path}.labels")
    annotations = check.string_map(data.get("annotations"), f"{path}.annotations")
    starts_at = check.time(data, "startsAt", path)
    ends_at = check.time(data, "endsAt", path)
    fingerprint = check.text(data, "fingerprint", path, required=False, limit=128)
    if not labels:
        check.fail(f"{path}.labels", "must name the alert (at least alertname)")
    if len(check.problems) > before:
        return None
    links = {}
    generator = web_link(_str(data.get("generatorURL")))
    if generator:
        links["Source"] = generator
    for key, title in link_fields.items():
        url = web_link(_str(data.get(key)))
        if url:
            links[title] = url
    links.update(annotation_links(annotations))
    return Alert(
        fingerprint=fingerprint or _fingerprint(labels),
        status=status,
        name=alert_name(labels, annotations),
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        links=links,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _fingerprint(labels: Mapping[str, str]) -> str:
    """What Alertmanager's fingerprint is for: identity by label set."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
