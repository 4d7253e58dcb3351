"""The one shape every source's payload is turned into, and the checks parsers share.

A parser reads a decoded JSON document and returns an ``AlertBatch``, or raises
``PayloadError`` naming every field that is wrong, so the sender's 4xx says
what to fix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

NAME_MAX = 200
KEY_MAX = 4000
VALUE_MAX = 4000
URL_MAX = 2000
# Alertmanager and Grafana write this for "no end yet".
_ZERO_TIME_YEAR = 1


class PayloadError(ValueError):
    """The document is JSON but not of the source's shape (422), or not JSON at all (400)."""

    def __init__(self, message: str, problems: list[str] | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.problems = problems or []
        self.status = status

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": str(self)}
        if self.problems:
            body["problems"] = self.problems
        return body


@dataclass(frozen=True)
class Alert:
    """One alert: a condition the monitor saw, identified within its group by fingerprint."""

    fingerprint: str
    status: str  # 'firing' or 'resolved'
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    links: dict[str, str] = field(default_factory=dict)  # title -> http(s) URL

    @property
    def firing(self) -> bool:
        return self.status == "firing"


@dataclass(frozen=True)
class AlertBatch:
    """What one delivery says about one group of alerts."""

    source: str
    group_key: str
    status: str
    alerts: tuple[Alert, ...]
    route: str | None = None
    title: str | None = None
    common_labels: dict[str, str] = field(default_factory=dict)
    common_annotations: dict[str, str] = field(default_factory=dict)

    @property
    def dedup_hash(self) -> str:
        """The group's identity, short and fixed-size for a unique index."""
        return hashlib.sha256(f"{self.source}\x00{self.group_key}".encode()).hexdigest()


class Checker:
    """Collects every problem in a payload before giving up, so one answer lists them all."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, what: str) -> None:
        self.problems.append(f"{path}: {what}")

    def raise_if_any(self, source: str) -> None:
        if self.problems:
            raise PayloadError(
                f"This is not a {source} payload this bot understands.", self.problems
            )

    def obj(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, "must be a JSON object")
            return {}
        return value

    def text(
        self, data: Mapping[str, Any], key: str, path: str, *, required: bool, limit: int = KEY_MAX
    ) -> str | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail(f"{path}.{key}" if path else key, "is required")
            return None
        if not isinstance(value, str):
            self.fail(f"{path}.{key}" if path else key, "must be a string")
            return None
        if len(value) > limit:
            self.fail(f"{path}.{key}" if path else key, f"is longer than {limit} characters")
            return None
        return value

    def status(self, data: Mapping[str, Any], path: str, default: str | None = None) -> str:
        value = data.get("status", default)
        if value not in ("firing", "resolved"):
            self.fail(f"{path}.status" if path else "status", "must be 'firing' or 'resolved'")
            return "firing"
        return str(value)

    def string_map(self, value: Any, path: str) -> dict[str, str]:
        """Labels and annotations: string keys and values (numbers are accepted as text)."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(path, "must be an object of strings")
            return {}
        result: dict[str, str] = {}
        for key, item in value.items():
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                self.fail(f"{path}.{key}", "must be a string")
                continue
            if len(str(key)) > NAME_MAX or len(str(item)) > VALUE_MAX:
                self.fail(f"{path}.{key}", "is too long")
                continue
            result[str(key)] = str(item)
        return result

    def time(self, data: Mapping[str, Any], key: str, path: str) -> datetime | None:
        value = data.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            self.fail(f"{path}.{key}", "must be an RFC 3339 timestamp")
            return None
        try:
            parsed = datetime.fromisoformat(_trim_fraction(value.replace("Z", "+00:00")))
        except ValueError:
            self.fail(f"{path}.{key}", f"{value[:40]!r} is not an RFC 3339 timestamp")
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        if parsed.year <= _ZERO_TIME_YEAR:
            return None
        return parsed.astimezone(UTC)


def _trim_fraction(value: str) -> str:
    """Go writes nanoseconds (9 digits); Python reads at most microseconds."""
    head, dot, rest = value.partition(".")
    if not dot:
        return value
    digits = len(rest) - len(rest.lstrip("0123456789"))
    return f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"


def web_link(value: str | None) -> str | None:
    """The URL if it is a plain http(s) link Slack can bookmark; anything else is dropped."""
    if not value or len(value) > URL_MAX or any(c in value for c in "<>|\n\r\t "):
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return value


# Annotations and fields that carry links worth a bookmark, and the title each gets.
LINK_ANNOTATIONS = {
    "runbook_url": "Runbook",
    "runbook": "Runbook",
    "dashboard_url": "Dashboard",
    "dashboard": "Dashboard",
    "playbook_url": "Playbook",
}


def annotation_links(annotations: Mapping[str, str]) -> dict[str, str]:
    links: dict[str, str] = {}
    for key, title in LINK_ANNOTATIONS.items():
        url = web_link(annotations.get(key))
        if url and title not in links:
            links[title] = url
    return links


def alert_name(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    name = labels.get("alertname") or annotations.get("summary") or "Alert"
    return " ".join(name.split())[:NAME_MAX]
