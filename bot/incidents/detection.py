"""Whether monitoring caught an incident, decided once for every document that says so.

The post-mortem's Detection section and the periodic review's "How it was detected"
count both ask ``found``, so a review never disagrees with the post-mortems it sums up.
The evidence, strongest first: an alert on the timeline or recorded on the incident;
else triage's answer to "Did a monitoring alert fire?"; else what the declarer chose
(declare.DETECTIONS); else nobody has said.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, select

from bot.incidents.kinds import EventKind
from bot.store.models import Incident, TimelineEvent

# The triage question whose answer says whether an alert fired (triage_questions).
ALERT_QUESTION = "alert"
UNSAID = "unsaid"  # ``how_column``'s word for Found.how None


@dataclass(frozen=True)
class Found:
    alerted: bool | None  # None: nobody said (or triage answered "Don't know")
    source: str | None  # "alert", "triage", "declaration" or None
    how: str | None  # "alert", "person" or "external" (declare.DETECTIONS); None: unsaid


def found(*, alert_recorded: bool, triage_answer: str | None, declared: str | None) -> Found:
    """How the incident was found. ``alert_recorded``: an alert is on its timeline or on
    the incident (``detected_by``, ``first_alert_at``); ``triage_answer``: the latest
    answer to the alert question ("yes", "no", "unknown") or None; ``declared``: the
    declarer's choice, a key of declare.DETECTIONS, or None."""
    if alert_recorded:
        return Found(True, "alert", "alert")
    if triage_answer in ("yes", "no"):
        alerted = triage_answer == "yes"
        return Found(alerted, "triage", "alert" if alerted else _not_alert(declared))
    if declared:
        return Found(declared == "alert", "declaration", declared)
    return Found(None, None, None)


def _not_alert(declared: str | None) -> str:
    """No alert fired: whoever the declarer said noticed it, else a person."""
    return declared if declared in ("person", "external") else "person"


def how_column() -> ColumnElement[str]:
    """``found(...).how`` as a column of the incidents table, for a filter that chooses
    incidents by it (the console's list): "alert", "person", "external" or UNSAID. The
    same rule, step for step; a test holds the two to the same answers."""
    event = TimelineEvent
    answer = (
        select(event.data["answer"].as_string())
        .where(
            event.incident_id == Incident.id,
            event.kind == EventKind.TRIAGE_ANSWERED,
            event.data["question"].as_string() == ALERT_QUESTION,
        )
        .order_by(event.occurred_at.desc(), event.id.desc())  # the answer that stands
        .limit(1)
        .scalar_subquery()
    )
    not_alert = case(
        (Incident.detection.in_(("person", "external")), Incident.detection), else_="person"
    )
    return case(
        (Incident.detected_by.is_not(None) | Incident.first_alert_at.is_not(None), "alert"),
        (answer == "yes", "alert"),
        (answer == "no", not_alert),
        (Incident.detection.is_not(None), Incident.detection),
        else_=UNSAID,
    )
