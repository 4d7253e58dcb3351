"""Prometheus Alertmanager's webhook (``webhook_configs``), payload version 4."""

from __future__ import annotations

from typing import Any

from bot.alerts.grouped_webhook import parse_grouped
from bot.alerts.normalized import AlertBatch

SOURCE = "alertmanager"


def parse(payload: Any) -> AlertBatch:
    batch, check, data = parse_grouped(payload, SOURCE, "Alertmanager", {})
    version = data.get("version")
    if version != "4":
        check.fail("version", f'is {version!r}; this bot reads Alertmanager\'s version "4"')
    check.raise_if_any("Prometheus Alertmanager (webhook version 4)")
    return batch
