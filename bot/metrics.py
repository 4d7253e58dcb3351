"""Prometheus text exposition for ``GET /metrics``, written by hand: a few series only."""

from __future__ import annotations

import threading
from collections import Counter

from bot.db import Database
from bot.incidents import queries

_lock = threading.Lock()
_requests: Counter[tuple[str, int]] = Counter()
_alerts: Counter[str] = Counter()


def count_request(route: str, status: int) -> None:
    with _lock:
        _requests[(route, status)] += 1


def count_alerts(source: str, alerts: int) -> None:
    with _lock:
        _alerts[source] += alerts


def render(db: Database) -> str:
    lines = [
        "# HELP incidentbot_http_requests_total HTTP requests served, by route and status.",
        "# TYPE incidentbot_http_requests_total counter",
    ]
    with _lock:
        for (route, status), count in sorted(_requests.items()):
            lines.append(
                f'incidentbot_http_requests_total{{route="{route}",status="{status}"}} {count}'
            )
        lines += [
            "# HELP incidentbot_alerts_accepted_total Alerts accepted, by source.",
            "# TYPE incidentbot_alerts_accepted_total counter",
        ]
        for source, count in sorted(_alerts.items()):
            lines.append(f'incidentbot_alerts_accepted_total{{source="{source}"}} {count}')
    lines += [
        "# HELP incidentbot_incidents_open Incidents not yet resolved.",
        "# TYPE incidentbot_incidents_open gauge",
    ]
    try:
        with db.begin() as session:
            lines.append(f"incidentbot_incidents_open {queries.count_open(session)}")
        up = 1
    except Exception:
        up = 0
    lines += [
        "# HELP incidentbot_database_up Whether the last database query succeeded.",
        "# TYPE incidentbot_database_up gauge",
        f"incidentbot_database_up {up}",
    ]
    return "\n".join(lines) + "\n"
