"""The alert sources the bot accepts at ``POST /alerts/{source}``, by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.alerts import alertmanager, generic, grafana
from bot.alerts.normalized import AlertBatch

PARSERS: dict[str, Callable[[Any], AlertBatch]] = {
    alertmanager.SOURCE: alertmanager.parse,
    grafana.SOURCE: grafana.parse,
    generic.SOURCE: generic.parse,
}
