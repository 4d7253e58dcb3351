"""A drill's injects: queued when it starts, each sent once when its drill time comes.

An inject is a row (``DrillInject``) with its offset in drill seconds. The scheduler's
tick calls ``claim_due`` with the time; an inject is due when the drill's clock
(``clock.DrillClock``: pauses left out, at the drill's speed) has reached its offset,
the drill's channel exists and the drill is neither paused nor over. Claiming is a
conditional update, so of two processes only one sends it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.drills.clock import DrillClock, speed_of
from bot.drills.scenarios import Scenario
from bot.incidents import timeline
from bot.incidents.kinds import EventKind
from bot.store.models import DrillInject, Incident


def queue(session: Session, incident: Incident, scenario: Scenario) -> None:
    for position, inject in enumerate(scenario.injects):
        session.add(
            DrillInject(
                incident_id=incident.id,
                position=position,
                offset_seconds=inject.at.total_seconds(),
                kind=inject.kind,
                payload={
                    "text": inject.text,
                    "source": inject.source,
                    "name": inject.name,
                    "features": list(inject.features),
                    "rows": inject.rows,
                },
            )
        )


def claim_due(
    session: Session, now: datetime, speed: float, *, due_by: datetime | None = None
) -> list[DrillInject]:
    """Mark sent, and record on each drill's timeline at ``now``, the injects due at
    ``now`` (or by ``due_by``, a later time: the sandbox's skip ahead; ``speed``: the
    drill speed for a drill that did not record its own)."""
    rows = session.execute(
        select(DrillInject, Incident)
        .join(Incident, Incident.id == DrillInject.incident_id)
        .where(
            DrillInject.sent_at.is_(None),
            Incident.drill.is_not(None),
            Incident.drill_ended_at.is_(None),
            Incident.drill_paused_at.is_(None),
            Incident.provisioned_at.is_not(None),
        )
        .order_by(DrillInject.incident_id, DrillInject.position)
    ).all()
    clocks: dict[int, DrillClock] = {}
    claimed = []
    for inject, incident in rows:
        clock = clocks.get(incident.id)
        if clock is None:
            events = timeline.events(session, incident.id)
            clock = clocks[incident.id] = DrillClock.of(incident, events, speed_of(events, speed))
        if clock.at(due_by or now).total_seconds() < inject.offset_seconds:
            continue
        taken = session.execute(
            update(DrillInject)
            .where(DrillInject.id == inject.id, DrillInject.sent_at.is_(None))
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if not taken.rowcount:  # type: ignore[attr-defined]
            continue  # another process sent it
        timeline.record(
            session,
            incident,
            EventKind.DRILL_INJECT,
            f"Inject {inject.position + 1}: {inject.kind}",
            when=now,
            inject_kind=inject.kind,
            position=inject.position,
            said=inject.payload.get("text"),
            source=inject.payload.get("source"),
        )
        claimed.append(inject)
    return claimed
