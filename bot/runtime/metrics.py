"""``GET /metrics``: counters kept in memory, and figures read from the database at each
scrape (open incidents, the outbox's backlog and dead work), in Prometheus's text format."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.incidents import queries
from bot.store.db import Database
from bot.store.models import SlackEffect, utcnow

REGISTRY = CollectorRegistry(auto_describe=True)
_REQUESTS = Counter(
    "incidentbot_http_requests",
    "HTTP requests served, by route and status.",
    ["route", "status"],
    registry=REGISTRY,
)
_ALERTS = Counter(
    "incidentbot_alerts_accepted",
    "Alerts accepted, by source.",
    ["source"],
    registry=REGISTRY,
)
ProcessCollector(namespace="incidentbot", registry=REGISTRY)


def count_request(route: str, status: int) -> None:
    _REQUESTS.labels(route=route, status=str(status)).inc()


def count_alerts(source: str, alerts: int) -> None:
    _ALERTS.labels(source=source).inc(alerts)


class _Stored(Collector):
    """What the database says at scrape time."""

    def __init__(self) -> None:
        self.db: Database | None = None

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "incidentbot_database_up", "Whether the database answered this scrape."
        )
        if self.db is None:
            return
        try:
            families = list(_read(self.db))
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _read(db: Database) -> Iterator[Metric]:
    now = utcnow()
    pending = SlackEffect.done_at.is_(None) & SlackEffect.dead_at.is_(None)
    with db.begin() as session:
        open_now = queries.count_open(session, drills=False)
        backlog = session.scalar(select(func.count()).where(pending)) or 0
        oldest = session.scalar(select(func.min(SlackEffect.due_at)).where(pending))
        dead = session.execute(
            select(SlackEffect.kind, SlackEffect.error_code, func.count())
            .where(SlackEffect.dead_at.is_not(None), SlackEffect.done_at.is_(None))
            .group_by(SlackEffect.kind, SlackEffect.error_code)
        ).all()
    yield GaugeMetricFamily(
        "incidentbot_incidents_open",
        "Incidents not yet resolved (drills left out).",
        value=open_now,
    )
    yield GaugeMetricFamily(
        "incidentbot_outbox_backlog", "Slack work owed and not yet done.", value=backlog
    )
    late = max(now - oldest, timedelta(0)) if oldest is not None else timedelta(0)
    yield GaugeMetricFamily(
        "incidentbot_outbox_oldest_due_seconds",
        "How long the oldest owed Slack work has been due (0 when none is).",
        value=late.total_seconds(),
    )
    family = GaugeMetricFamily(
        "incidentbot_outbox_dead",
        "Slack work refused for good (or given up on), by kind and Slack's error.",
        labels=["kind", "error"],
    )
    for kind, error, count in dead:
        family.add_metric([kind, error or "unknown"], count)
    yield family


_STORED = _Stored()
REGISTRY.register(_STORED)
_render_lock = threading.Lock()


def render(db: Database) -> bytes:
    with _render_lock:
        _STORED.db = db
        return generate_latest(REGISTRY)
