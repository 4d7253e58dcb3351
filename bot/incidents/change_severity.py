"""Raising or lowering an incident's severity."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act, Actor, Policy
from bot.incidents.severity import Severity
from bot.store.models import Incident


@dataclass(frozen=True)
class SeverityChange:
    previous: Severity
    current: Severity

    @property
    def changed(self) -> bool:
        return self.previous != self.current


def change_severity(
    session: Session, incident: Incident, severity: Severity, *, who: Actor, policy: Policy
) -> SeverityChange:
    """Set ``incident``'s severity if ``who`` may (NotAllowed otherwise) and it is open."""
    policy.check(Act.SEVERITY, incident, who)
    if not incident.is_open:
        raise InvalidInput(f"{incident.reference} is resolved; its severity no longer changes.")
    previous = Severity(incident.severity)
    if previous == severity:
        return SeverityChange(previous, severity)
    incident.severity = severity.value
    direction = "raised" if severity < previous else "lowered"  # sev1 < sev2 as strings
    timeline.record(
        session,
        incident,
        EventKind.SEVERITY_CHANGED,
        f"Severity {direction} from {previous.label} to {severity.label}",
        actor=who.user,
        previous=previous.value,
        severity=severity.value,
    )
    return SeverityChange(previous, severity)
