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

from bot.incidents.kinds import EventKind
from bot.store.models import Incident, TimelineEvent

# Events that show a person working on the incident (an acknowledgement; key_times.derive).
PEOPLE_AT_WORK = {
    EventKind.MODEL_ROLLED_BACK,
    EventKind.CONTAINMENT_RUN,
    EventKind.ROLE_ASSIGNED,
    EventKind.ROLE_HANDED_OVER,
    EventKind.SEVERITY_CHANGED,
    EventKind.TRIAGE_ANSWERED,
    EventKind.TRIAGE_NOTE,
    EventKind.TRIAGE_PROPOSAL_ACCEPTED,
    EventKind.TRIAGE_PROPOSAL_DECLINED,
    EventKind.RUNBOOK_ITEM_CHECKED,
    EventKind.NOTE,
    EventKind.STATUS_UPDATE,
    EventKind.ACTION_ITEM,
    EventKind.RESOLVED,
}


def mitigates(kind: str, data: dict[str, Any]) -> bool:
    """Whether an event of ``kind`` mitigates its incident (key_times.derive's rule)."""
    if kind in (EventKind.ALERTS_ALL_RESOLVED, EventKind.MODEL_ROLLED_BACK):
        return True
    if kind == EventKind.TRIAGE_ANSWERED:
        return data.get("question") == "trend" and data.get("answer") == "better"
    return kind == EventKind.CONTAINMENT_RUN and bool(data.get("ok"))


def absorb(incident: Incident, event: TimelineEvent) -> None:
    """Fold one new event into the incident's summary columns."""
    kind, at, data = event.kind, event.occurred_at, event.data or {}
    if kind == EventKind.ALERT_FIRED:
        incident.first_alert_at = _earlier(incident.first_alert_at, at)
    elif kind == EventKind.POSTMORTEM_PUBLISHED:
        incident.postmortem_published_at = _earlier(incident.postmortem_published_at, at)
    elif kind == EventKind.TRIAGE_PROPOSED and data.get("cause"):
        incident.triage_cause = str(data["cause"])[:40]
    if kind == EventKind.STATUS_UPDATE:
        incident.first_notice_at = _earlier(incident.first_notice_at, at)
        incident.updates_sent = (incident.updates_sent or 0) + 1
        if data.get("late") and incident.updates_late is not None:  # None: timing not known
            incident.updates_late += 1
    if kind == EventKind.PAGED:
        incident.paged_at = _earlier(incident.paged_at, at)
    elif kind == EventKind.PAGE_ACKNOWLEDGED:
        incident.page_acknowledged_at = _earlier(incident.page_acknowledged_at, at)
    if mitigates(kind, data):
        incident.mitigated_at = _earlier(incident.mitigated_at, at)
    if kind in PEOPLE_AT_WORK and event.actor and at >= incident.declared_at:
        incident.acknowledged_at = _earlier(incident.acknowledged_at, at)


def _earlier(known: datetime | None, at: datetime) -> datetime:
    return at if known is None or at < known else known
