"""A drill plays the reporting clock at drill speed: its report says when the report to
the authority would have been due, in drill time, and whether one was recorded in time.
The Legal Liaison does not stand in for one of the four roles the drill scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.drills import report, scenarios
from bot.drills.clock import DrillClock
from bot.store.models import Incident, TimelineEvent

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SPEED = 60.0


def event(kind: str, minutes: float, **data: object) -> TimelineEvent:
    return TimelineEvent(
        kind=kind, occurred_at=START + timedelta(minutes=minutes), text="", data=data
    )


def test_the_drill_report_says_when_the_report_would_have_been_due() -> None:
    scenario = scenarios.find("fraud-false-positives")
    incident = Incident(id=4, title="Drill", severity="sev1", drill=scenario.name)
    incident.drill_started_at = START
    assessed = START + timedelta(minutes=5)
    due = assessed + timedelta(days=15) / SPEED  # 6 hours of wall time at 60x
    events = [
        event("role_assigned", 1, role="commander", user="U1"),
        event("role_assigned", 2, role="ml-lead", user="U2"),
        event("role_assigned", 3, role="comms-lead", user="U3"),
        event("role_assigned", 4, role="legal", user="U4"),
        event("serious_assessed", 5, serious=True, due_at=due.isoformat(), deadline_reason="x"),
        event("authority_report_sent", 20, report="initial"),
    ]
    clock = DrillClock(START, SPEED)
    data = report.assemble(incident, scenario, events, clock, {}, START + timedelta(hours=1))
    assert data["serious"]["within"] == "15 days" and data["serious"]["on_time"]
    assert "roles" in {s.expect.move for s in data["missed"]}  # three of the four, and legal
    written = report.render(data, None)
    assert "would have been due 15 days of drill time" in written
    assert "recorded as sent at +1200:00: on time" in written
