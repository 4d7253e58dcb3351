"""What alerts joining, re-firing and resolving write on their incident's timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.alerts.group_lifecycle import source_name
from bot.alerts.normalized import Alert
from bot.incidents import timeline
from bot.incidents.kinds import EventKind
from bot.store.models import Incident

if TYPE_CHECKING:
    from bot.alerts.ingest import Change

MAX_LISTED = 20


def record(session: Session, incident: Incident, change: Change, now: datetime) -> None:
    source = source_name(change.group.source)
    for kind, alerts, verb in (
        (EventKind.ALERT_JOINED, change.joined, "joined the incident"),
        (EventKind.ALERT_REFIRED, change.refired, "fired again"),
        (EventKind.ALERT_RESOLVED, change.resolved, "resolved"),
    ):
        if alerts:
            timeline.record(
                session,
                incident,
                kind,
                f"{source}: {describe(alerts)} {verb}",
                when=now,
                alerts=[_summary(a) for a in alerts[:MAX_LISTED]],
                count=len(alerts),
                still_firing=change.still_firing,
            )
    if change.all_resolved:
        timeline.record(
            session,
            incident,
            EventKind.ALERTS_ALL_RESOLVED,
            f"{source}: every alert of the group has resolved",
            when=now,
            group_key=change.group.group_key,
        )


def describe(alerts: Sequence[Alert]) -> str:
    names = sorted({a.name for a in alerts})
    shown = ", ".join(names[:3])
    if len(names) > 3:
        shown += f" and {len(names) - 3} more"
    count = len(alerts)
    return f"{count} alert{'s' if count > 1 else ''} ({shown})" if count > 1 else shown


def _summary(alert: Alert) -> dict[str, object]:
    return {
        "name": alert.name,
        "fingerprint": alert.fingerprint,
        "labels": alert.labels,
        "starts_at": alert.starts_at.isoformat() if alert.starts_at else None,
        "ends_at": alert.ends_at.isoformat() if alert.ends_at else None,
    }
