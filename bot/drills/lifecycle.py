"""A drill's life: started from a scenario, paused and resumed, skipped ahead, ended.

Each step is a state change and its timeline event in the caller's transaction; the
facilitator (who started it) or a responder runs the controls, as the permission
policy says. Nothing here talks to Slack.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.drills import injects
from bot.drills.clock import DrillClock, speed_of
from bot.drills.scenarios import Scenario
from bot.incidents import timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act, Actor, Policy
from bot.incidents.resolve import resolve
from bot.store.models import DrillInject, Incident


def start(
    session: Session, scenario: Scenario, *, by: str, now: datetime, speed: float
) -> Incident:
    """Declare the drill's incident and queue its injects on its clock."""
    incident = declare(
        session,
        Declaration(
            title=scenario.title,
            severity=scenario.start_severity,
            declared_by=by,
            service=scenario.model,
            failure_category=scenario.category,
            private=scenario.private,
        ),
        now=now,
    )
    incident.drill, incident.drill_started_at = scenario.name, now
    injects.queue(session, incident, scenario)
    timeline.record(
        session,
        incident,
        EventKind.DRILL_STARTED,
        f"Drill started: {scenario.name}",
        actor=by,
        when=now,
        scenario=scenario.name,
        expects=[{"move": e.move, "within": e.within.total_seconds()} for e in scenario.expects],
        speed=speed,
    )
    return incident


def _running(incident: Incident, who: Actor, policy: Policy) -> None:
    if not incident.drill:
        raise InvalidInput("This incident is not a drill.")
    if incident.drill_ended_at is not None:
        raise InvalidInput(f"Drill {incident.reference} is over.")
    policy.check(Act.FACILITATE, incident, who)


def pause_or_resume(
    session: Session, incident: Incident, *, who: Actor, policy: Policy, now: datetime
) -> None:
    _running(incident, who, policy)
    if incident.drill_paused_at is None:
        incident.drill_paused_at = now
        timeline.record(
            session, incident, EventKind.DRILL_PAUSED, "Drill paused", actor=who.user, when=now
        )
    else:
        incident.drill_paused_seconds += (now - incident.drill_paused_at).total_seconds()
        incident.drill_paused_at = None
        timeline.record(
            session, incident, EventKind.DRILL_RESUMED, "Drill resumed", actor=who.user, when=now
        )


def skip_ahead(
    session: Session,
    incident: Incident,
    *,
    who: Actor,
    policy: Policy,
    now: datetime,
    speed: float,
) -> str | None:
    """Make the next inject due now; says so when none is left."""
    _running(incident, who, policy)
    following = session.scalars(
        select(DrillInject)
        .where(DrillInject.incident_id == incident.id, DrillInject.sent_at.is_(None))
        .order_by(DrillInject.position)
        .limit(1)
    ).first()
    if following is None:
        return "Every inject has been sent; end the drill when the team is done."
    events = timeline.events(session, incident.id)
    clock = DrillClock.of(incident, events, speed_of(events, speed))
    following.offset_seconds = min(following.offset_seconds, clock.at(now).total_seconds())
    return None


def end(session: Session, incident: Incident, *, who: Actor, policy: Policy, now: datetime) -> None:
    """The drill's incident is resolved (no stakeholder hears of it) and its report owed."""
    _running(incident, who, policy)
    if incident.drill_paused_at is not None:
        incident.drill_paused_seconds += (now - incident.drill_paused_at).total_seconds()
        incident.drill_paused_at = None
    incident.drill_ended_at = now
    if incident.is_open:
        resolve(session, incident, who=who, policy=policy, summary="Drill ended", now=now)
    timeline.record(
        session, incident, EventKind.DRILL_ENDED, "Drill ended", actor=who.user, when=now
    )
