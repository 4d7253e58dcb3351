"""What the pinned summary, ``/incident status`` and the console show of serious-incident
reporting: the reporting clock in a line. Kept apart from ``app/reporting`` (the use
cases), which owes effects: the summary's redraw reads this."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.reporting import assessment
from bot.slack.blocks.serious import ReportingPart
from bot.slack.blocks.text import escape
from bot.store.models import Incident, utcnow


def reporting_line(
    session: Session, settings: Settings, incident: Incident, now: datetime | None = None
) -> str | None:
    """The reporting clock in words (mrkdwn), or None when there is nothing to say."""
    case = assessment.case_of(session, incident.id)
    if case is None or (case.assessed_at is None and case.offered_at is None):
        return None
    if case.serious is None:
        return ":scales: *Serious incident?* Not yet assessed: `/incident assess`."
    if not case.serious or case.due_at is None:
        return ":scales: Assessed *not* a serious incident for now (`/incident assess` revises it)."
    words = assessment.clock_phrase(case, incident, now or utcnow())
    return f":scales: *Serious incident:* {escape(words)}"


def summary_part(
    session: Session, settings: Settings, incident: Incident, now: datetime | None = None
) -> ReportingPart | None:
    """What the summary shows of reporting; None while reporting is off."""
    if not settings.reporting.on:
        return None
    return ReportingPart(line=reporting_line(session, settings, incident, now))
