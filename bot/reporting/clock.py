"""The reporting clock: when a serious incident's report is due, when the Legal Liaison
is reminded, and how the deadline reads.

Pure: every function takes the moment it is asked about (``now``); nothing here reads
the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.reporting.regimes import Answers, Regime

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    days: int
    reason: str  # what set it: "the death of a person", "a widespread infringement"

    def due(self, aware_at: datetime, speed: float = 1.0) -> datetime:
        """The deadline; a drill's clock runs ``speed`` times faster than the wall's."""
        return aware_at + timedelta(days=self.days) / max(speed, 1e-6)


def deadline(regime: Regime, answers: Answers) -> Deadline:
    """The shortest time any met criterion (or a widespread infringement) allows."""
    best = Deadline(regime.days, "a serious incident")
    for criterion in answers.met(regime):
        if criterion.days < best.days:
            best = Deadline(criterion.days, criterion.label)
    if (
        answers.widespread == "yes"
        and regime.widespread_days is not None
        and regime.widespread_days < best.days
    ):
        best = Deadline(regime.widespread_days, "a widespread infringement")
    return best


def reminders(aware_at: datetime, due_at: datetime) -> tuple[datetime, ...]:
    """When the Legal Liaison is reminded before the deadline: at half the time and a day
    before; for two days or less, 24 hours and 6 hours before."""
    span = due_at - aware_at
    if span <= 2 * DAY:
        times = (due_at - span / 2 if span < 2 * DAY else due_at - DAY, due_at - timedelta(hours=6))
    else:
        times = (aware_at + span / 2, due_at - DAY)
    return tuple(sorted({t for t in times if t > aware_at}))


def next_reminder(
    aware_at: datetime, due_at: datetime, after: datetime, speed: float = 1.0
) -> datetime:
    """The first reminder strictly after ``after``: one before the deadline, else the
    deadline itself, else a day after the last overdue one (every day until it is sent)."""
    for when in reminders(aware_at, due_at):
        if when > after:
            return when
    if due_at > after:
        return due_at
    step = DAY / max(speed, 1e-6)
    late = (after - due_at) // step + 1
    return due_at + late * step


def _days(delta: timedelta) -> str:
    whole = delta.days + (1 if delta.seconds >= 12 * 3600 else 0)
    if whole <= 0:
        hours = max(1, round(delta.total_seconds() / 3600))
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{whole} day{'s' if whole != 1 else ''}"


def due_words(
    due_at: datetime,
    now: datetime,
    *,
    sent_at: datetime | None = None,
    complete: bool = False,
    drill: bool = False,
) -> str:
    """How the deadline reads: "report due Tue 22 Dec, in 15 days", "report overdue by 2
    days", "initial report sent on time"; a drill's "would have been due"."""
    day = due_at.strftime("%a %d %b").replace(" 0", " ")
    if sent_at is not None:
        which = "complete report" if complete else "initial report"
        timing = "on time" if sent_at <= due_at else f"{_days(sent_at - due_at)} late"
        return f"{which} sent {timing} (due {day})"
    if drill:
        return f"report would have been due {day}" + (
            f", in {_days(due_at - now)}" if due_at > now else ""
        )
    if due_at > now:
        return f"report due {day}, in {_days(due_at - now)}"
    return f"report overdue by {_days(now - due_at)} (was due {day})"


def met(due_at: datetime, sent_at: datetime) -> bool:
    return sent_at <= due_at
