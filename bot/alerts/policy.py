"""What an alert becomes: its severity from its labels, and per route declare-or-ask.

Both are settings (INCIDENTBOT_ALERT_SEVERITY, INCIDENTBOT_ALERT_ROUTES),
parsed once at start-up; a mistake there stops the bot with a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.alerts.normalized import Alert
from bot.incidents.severity import Severity, parse_severity

DEFAULT_SEVERITY_MAP = "critical=sev1,high=sev2,error=sev2,warning=sev3,info=sev4,low=sev4,*=sev3"
DEFAULT_ROUTES = "*=declare"
SEVERITY_LABELS = ("severity", "priority")
MODES = ("declare", "ask", "declare+private")
PRIVATE = "declare+private"


class PolicyError(ValueError):
    """A setting that cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class AlertPolicy:
    severity_map: Mapping[str, Severity] = field(default_factory=dict)
    fallback_severity: Severity = Severity.SEV3
    routes: Mapping[str, str] = field(default_factory=dict)
    fallback_mode: str = "declare"

    def severity_of(self, alert: Alert) -> tuple[Severity, str | None]:
        """The severity an alert asks for, and the label value it came from."""
        for name in SEVERITY_LABELS:
            value = alert.labels.get(name)
            if not value:
                continue
            key = value.strip().lower()
            if key in self.severity_map:
                return self.severity_map[key], value
            direct = parse_severity(key)
            if direct is not None:
                return direct, value
            return self.fallback_severity, value
        return self.fallback_severity, None

    def group_severity(self, alerts: Iterable[Alert]) -> tuple[Severity, str | None]:
        """The most severe of the alerts (SEV1 beats SEV3)."""
        found = [self.severity_of(alert) for alert in alerts] or [(self.fallback_severity, None)]
        return min(found, key=lambda pair: pair[0].value)

    def mode_for(self, route: str | None) -> str:
        return self.routes.get(route or "", self.fallback_mode)

    def asks_anywhere(self) -> bool:
        return self.fallback_mode == "ask" or "ask" in self.routes.values()

    def declares_privately(self) -> bool:
        return self.fallback_mode == PRIVATE or PRIVATE in self.routes.values()


def _pairs(text: str, setting: str, example: str) -> Iterable[tuple[str, str]]:
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise PolicyError(
                f"{setting} has {part!r}; write it as key=value pairs, e.g. {example}."
            )
        yield key.strip(), value.strip()


def parse_policy(severity_text: str | None, routes_text: str | None) -> AlertPolicy:
    severity_map: dict[str, Severity] = {}
    fallback_severity = Severity.SEV3
    # Values given extend and override the defaults rather than replace them all.
    given = DEFAULT_SEVERITY_MAP + "," + (severity_text or "")
    for key, value in _pairs(given, "INCIDENTBOT_ALERT_SEVERITY", DEFAULT_SEVERITY_MAP):
        severity = parse_severity(value)
        if severity is None:
            raise PolicyError(
                f"INCIDENTBOT_ALERT_SEVERITY maps {key!r} to {value!r}, which is not a severity; "
                "use sev1 to sev4."
            )
        if key == "*":
            fallback_severity = severity
        else:
            severity_map[key.lower()] = severity
    routes: dict[str, str] = {}
    fallback_mode = "declare"
    for key, value in _pairs(
        routes_text or DEFAULT_ROUTES, "INCIDENTBOT_ALERT_ROUTES", "ml-pager=declare,*=ask"
    ):
        mode = value.lower().replace(" ", "")
        if mode == "ask+private":
            raise PolicyError(
                f"INCIDENTBOT_ALERT_ROUTES gives route {key!r} the mode {value!r}, but the "
                "Declare/Dismiss prompt is posted in the broadcast channel with the alert's "
                "title, which a private incident must not show: use 'declare+private'."
            )
        if mode not in MODES:
            raise PolicyError(
                f"INCIDENTBOT_ALERT_ROUTES gives route {key!r} the mode {value!r}; use 'declare' "
                "(open an incident at once), 'declare+private' (open it in a private channel) "
                "or 'ask' (post Declare/Dismiss buttons first)."
            )
        if key == "*":
            fallback_mode = mode
        else:
            routes[key] = mode
    return AlertPolicy(severity_map, fallback_severity, routes, fallback_mode)
