"""Our own JSON, for monitors with no format of their own (Evidently, WhyLabs, Arize, cron jobs).

    {
      "title": "Fraud model precision below 0.8",        required
      "dedup_key": "fraud-precision",                    required: one incident per key
      "status": "firing",                                "firing" (default) or "resolved"
      "severity": "critical",                            mapped like an alert's severity label
      "model": "fraud-scorer",                           or "service"
      "description": "Precision 0.71 over the last hour",
      "started_at": "2026-11-23T09:12:00Z",
      "links": {"Dashboard": "https://grafana.example.com/d/fraud"},
      "labels": {"team": "risk"},
      "route": "ml-pager"                                the INCIDENTBOT_ALERT_ROUTES entry
    }

``links`` may also be a list of ``{"title": ..., "url": ...}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.normalized import (
    NAME_MAX,
    Alert,
    AlertBatch,
    Checker,
    PayloadError,
    annotation_links,
    web_link,
)

SOURCE = "generic"
KNOWN_FIELDS = {
    "title",
    "dedup_key",
    "status",
    "severity",
    "model",
    "service",
    "description",
    "started_at",
    "links",
    "labels",
    "annotations",
    "route",
    "source",
    "reference_data",
    "current_data",
}


def parse(payload: Any) -> AlertBatch:
    if not isinstance(payload, Mapping):
        raise PayloadError("A generic alert is a JSON object with at least title and dedup_key.")
    check = Checker()
    title = check.text(payload, "title", "", required=True, limit=NAME_MAX)
    dedup_key = check.text(payload, "dedup_key", "", required=True, limit=1000)
    status = check.status(payload, "", default="firing")
    route = check.text(payload, "route", "", required=False, limit=200)
    labels = check.string_map(payload.get("labels"), "labels")
    annotations = check.string_map(payload.get("annotations"), "annotations")
    for key in ("severity", "model", "service", "source"):
        value = check.text(payload, key, "", required=False, limit=NAME_MAX)
        if value:
            labels[key] = value
    for key in ("reference_data", "current_data"):  # where drift analysis finds the data
        value = check.text(payload, key, "", required=False, limit=2000)
        if value:
            annotations[key] = value
    description = check.text(payload, "description", "", required=False)
    if description:
        annotations["description"] = description
    started_at = check.time(payload, "started_at", "")
    links = _links(check, payload.get("links"))
    unknown = sorted(set(payload) - KNOWN_FIELDS)
    if unknown:
        check.fail(", ".join(unknown)[:200], "unknown field (put free-form data in labels)")
    check.raise_if_any("generic alert")
    assert title is not None and dedup_key is not None
    links.update(annotation_links(annotations))
    alert = Alert(
        fingerprint=dedup_key[:128],
        status=status,
        name=" ".join(title.split()),
        labels=labels,
        annotations=annotations,
        starts_at=started_at,
        links=links,
    )
    return AlertBatch(
        source=SOURCE,
        group_key=dedup_key,
        status=status,
        alerts=(alert,),
        route=route,
        title=alert.name,
        common_labels=labels,
        common_annotations=annotations,
    )


def _links(check: Checker, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    pairs: list[tuple[Any, Any]] = []
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list):
        for index, item in enumerate(value):
            entry = check.obj(item, f"links[{index}]")
            pairs.append((entry.get("title") or entry.get("url"), entry.get("url")))
    else:
        check.fail("links", "must be an object of title: URL, or a list of {title, url}")
    links: dict[str, str] = {}
    for title, url in pairs:
        if not isinstance(title, str) or not title.strip() or len(title) > 100:
            check.fail("links", "each link needs a title of at most 100 characters")
        elif not isinstance(url, str) or web_link(url) is None:
            check.fail(f"links.{title[:40]}", "must be an http(s) URL")
        else:
            links[" ".join(title.split())] = url
    return links
