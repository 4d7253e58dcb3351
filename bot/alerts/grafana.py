"""Grafana unified alerting's webhook contact point.

Its body follows Alertmanager's, plus ``orgId``, ``title``, ``state`` and
``message``, and per alert the dashboard and panel links worth bookmarking.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.alerts.grouped_webhook import parse_grouped
from bot.alerts.normalized import AlertBatch

SOURCE = "grafana"
LINK_FIELDS = {"dashboardURL": "Dashboard", "panelURL": "Panel"}


def parse(payload: Any) -> AlertBatch:
    batch, check, data = parse_grouped(payload, SOURCE, "Grafana", LINK_FIELDS)
    org = data.get("orgId")
    if org is not None and (isinstance(org, bool) or not isinstance(org, int)):
        check.fail("orgId", "must be a number")
    title = check.text(data, "title", "", required=False, limit=4000)
    check.raise_if_any("Grafana webhook contact point")
    if org is not None:
        # Grafana's groupKey is unique per organisation only.
        batch = dataclasses.replace(batch, group_key=f"org{org}:{batch.group_key}")
    return dataclasses.replace(batch, title=_first_line(title))


def _first_line(title: str | None) -> str | None:
    """Grafana's title reads like ``[FIRING:1] HighLatency (team ...)``; drop the counter."""
    if not title:
        return None
    line = title.strip().splitlines()[0] if title.strip() else ""
    if line.startswith("[") and "]" in line:
        line = line.split("]", 1)[1]
    return line.strip() or None
