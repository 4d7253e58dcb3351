"""The escalation ladder: when nobody has taken Commander within the severity's window,
the next level is paged, and again one window later, until a Commander is named, the
page is acknowledged, the incident is resolved, or the ladder runs out.

Each level is the provider's next escalation level (PagerDuty) and the next entry of the
team's own ladder (Slack users and user groups, ``INCIDENTBOT_ESCALATION_LADDER``),
whichever the team has. Pure: the flow reads the rows and performs the steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.incidents.roles import Role
from bot.store.models import Incident, Page, Reminder

ESCALATE = "escalate"  # the reminder kind
MAX_LEVELS = 6  # the provider's levels are not known in advance; no more than this
DEFAULT_WINDOWS = "sev1=5m,sev2=15m"
EXECUTIVES_WITHIN = timedelta(minutes=30)  # SEV1: executives told, as the playbook asks

Windows = Mapping[str, timedelta | None]


@dataclass(frozen=True)
class Step:
    level: int  # the level now paged (the first page was level 1)
    ladder_entry: str | None  # the team's own ladder's user or group for it, if any
    pages: bool  # something is paged at this level (the provider's or the ladder's)
    tell_executives: bool


def window(windows: Windows, incident: Incident) -> timedelta | None:
    return windows.get(incident.severity)


def answered(incident: Incident, pages: Sequence[Page]) -> bool:
    """Someone took it: a Commander named, a page acknowledged, or it is over."""
    return (
        not incident.is_open
        or incident.holder(Role.COMMANDER) is not None
        or any(p.acknowledged_at is not None for p in pages)
    )


def next_step(
    incident: Incident,
    pages: Sequence[Page],
    ladder: Sequence[str],
    level: int,
    *,
    provider_levels: bool,
    executives: str | None,
    now: datetime,
) -> Step | None:
    """What escalating from ``level`` to the next does, or None when there is nothing left."""
    if answered(incident, pages):
        return None
    following = level + 1
    entry = ladder[following - 2] if 0 <= following - 2 < len(ladder) else None
    pages_more = following <= MAX_LEVELS and (
        entry is not None or (provider_levels and bool(pages))
    )
    told = (
        incident.severity == "sev1"
        and executives is not None
        and level == 1
        and now - incident.declared_at <= EXECUTIVES_WITHIN
    )
    if not (pages_more or told):
        return None
    return Step(following, entry, pages_more, told)


def escalation_pending(session: Session, incident_id: int) -> bool:
    """Whether an escalation of the incident is waiting to fall due."""
    pending = session.scalar(
        select(Reminder.id).where(
            Reminder.incident_id == incident_id,
            Reminder.kind == ESCALATE,
            Reminder.sent_at.is_(None),
            Reminder.cancelled_at.is_(None),
        )
    )
    return pending is not None


def escalations_sent(session: Session, incident_id: int, *, besides: int) -> int:
    """How many of the incident's escalations have fallen due, the reminder ``besides``
    (the one falling due now) left out."""
    sent = session.scalar(
        select(func.count(Reminder.id)).where(
            Reminder.incident_id == incident_id,
            Reminder.kind == ESCALATE,
            Reminder.sent_at.is_not(None),
            Reminder.id != besides,
        )
    )
    return int(sent or 0)
