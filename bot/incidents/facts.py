"""What an incident's events leave behind on it for the review to read.

The timeline stays the truth (``key_times.derive`` reads it for the post-mortem);
these columns are its summary, kept current by ``timeline.record`` as each event
is written, in the same transaction, so a quarter's review reads one row per
incident instead of millions of events. A test holds them to ``derive``'s
answers; migration 0013 filled them in for incidents recorded before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store.models import Incident, TimelineEvent

# Events that show a person working on the incident (an acknowledgement; key_times.derive).
PEOPLE_AT_WORK = {
    "model_rolled_back",
    "containment_run",
    "role_assigned",
    "role_handed_over",
    "severity_changed",
    "triage_answered",
    "triage_note",
    "triage_proposal_accepted",
    "triage_proposal_declined",
    "runbook_item_checked",
    "note",
    "status_update",
    "action_item",
    "resolved",
}


def mitigates(kind: str, data: dict[str, Any]) -> bool:
    """Whether an event of ``kind`` mitigates its incident (key_times.derive's rule)."""
    if kind in ("alerts_all_resolved", "model_rolled_back"):
        return True
    if kind == "triage_answered":
        return data.get("question") == "trend" and data.get("answer") == "better"
    return kind == "containment_run" and bool(data.get("ok"))


def absorb(incident: Incident, event: TimelineEvent) -> None:
    """Fold one new event into the incident's summary columns."""
    kind, at, data = event.kind, event.occurred_at, event.data or {}
    if kind == "alert_fired":
        incident.first_alert_at = _earlier(incident.first_alert_at, at)
    elif kind == "postmortem_published":
        incident.postmortem_published_at = _earlier(incident.postmortem_published_at, at)
    elif kind == "triage_proposed" and data.get("cause"):
        incident.triage_cause = str(data["cause"])[:40]
    if kind == "status_update":
        incident.first_notice_at = _earlier(incident.first_notice_at, at)
        incident.updates_sent = (incident.updates_sent or 0) + 1
        if data.get("late") and incident.updates_late is not None:  # None: timing not known
            incident.updates_late += 1
    if mitigates(kind, data):
        incident.mitigated_at = _earlier(incident.mitigated_at, at)
    if kind in PEOPLE_AT_WORK and event.actor and at >= incident.declared_at:
        incident.acknowledged_at = _earlier(incident.acknowledged_at, at)


def _earlier(known: datetime | None, at: datetime) -> datetime:
    return at if known is None or at < known else known
