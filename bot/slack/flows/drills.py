"""Running a tabletop drill in Slack: start it, send its injects on its clock, let the
facilitator pause, skip ahead and end it, and upload the report.

A drill is an incident with a scenario (``Incident.drill``). Everything works in it,
and nothing of it reaches real stakeholders: no broadcast (only
``INCIDENTBOT_DRILL_CHANNEL`` when set), no stakeholder channels, rollbacks and
levers only rehearsed. Injects are rows (``DrillInject``) the scheduler claims when
their drill time has come, so a restart keeps the drill's clock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.documents.templating import document_environment
from bot.drills import scenarios
from bot.incidents import timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.errors import InvalidInput
from bot.incidents.resolve import resolve
from bot.outbox import commands
from bot.slack import effects, notify
from bot.slack.background import Reply
from bot.slack.flows import channel_setup
from bot.slack.flows.channel_setup import ProvisioningFailed
from bot.slack.flows.common import apply
from bot.slack.text import channel_link, escape
from bot.slack.views import drill_controls
from bot.slack.views.kit import render
from bot.store.models import DrillInject, Incident, TimelineEvent, utcnow

if TYPE_CHECKING:
    from bot.slack.services import Services

log = logging.getLogger(__name__)


def listing(services: Services) -> str:
    library = scenarios.library(services.settings.drills_dir)
    lines = [f"• `{s.name}`: {escape(s.title)} ({s.severity.label})" for s in library.values()]
    return "*Drill scenarios* (`/incident drill <name>` starts one)\n" + "\n".join(lines)


def start(services: Services, name: str, actor: str, reply: Reply) -> None:
    """Declare the drill's incident, queue its injects, set up its channel, brief everyone."""
    try:
        scenario = scenarios.find(name, services.settings.drills_dir)
    except scenarios.ScenarioError as problem:
        raise InvalidInput(str(problem)) from None
    now = utcnow()
    with services.db.begin() as session:
        incident = declare(
            session,
            Declaration(
                title=scenario.title,
                severity=scenario.start_severity,
                declared_by=actor,
                service=scenario.model,
                failure_category=scenario.category,
                private=scenario.private,
            ),
            now=now,
        )
        incident.drill, incident.drill_started_at = scenario.name, now
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
        timeline.record(
            session,
            incident,
            "drill_started",
            f"Drill started: {scenario.name}",
            actor=actor,
            when=now,
            scenario=scenario.name,
            expects=[
                {"move": e.move, "within": e.within.total_seconds()} for e in scenario.expects
            ],
            speed=services.settings.drill_speed,
        )
        effects.enqueue(
            session,
            incident.id,
            "message",
            text=f"DRILL {scenario.title}: the facilitator's controls",
            blocks=render(drill_controls.facilitator(incident, scenario, actor)),
        )
        commands.finish_current(session)
        incident_id, reference = incident.id, incident.reference
    try:
        opened = channel_setup.provisioner(services).run(incident_id)
    except ProvisioningFailed:
        reply(text=f"Drill {reference} is set up; Slack did not let me open its channel yet.")
        return
    reply(text=f"Drill {reference} started: {channel_link(opened.channel_id, opened.channel_name)}")
    effects.drain(services, incident_id)


def drill_time(incident: Incident, events: list[TimelineEvent], speed: float) -> Any:
    """A function from a moment to how far into the drill it was (pauses left out)."""
    started = incident.drill_started_at or incident.declared_at
    pauses: list[tuple[datetime, datetime | None]] = []
    for event in events:
        if event.kind == "drill_paused":
            pauses.append((event.occurred_at, None))
        elif event.kind == "drill_resumed" and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], event.occurred_at)

    def elapsed(moment: datetime) -> timedelta:
        wall = (moment - started).total_seconds()
        for begun, ended in pauses:
            if begun < moment:
                wall -= (min(ended or moment, moment) - begun).total_seconds()
        return timedelta(seconds=max(0.0, wall) * speed)

    return elapsed


def _elapsed_now(incident: Incident, now: datetime, speed: float) -> float:
    """Drill seconds so far, from the stored clock."""
    started = incident.drill_started_at or incident.declared_at
    wall = (now - started).total_seconds() - incident.drill_paused_seconds
    if incident.drill_paused_at is not None:
        wall -= (now - incident.drill_paused_at).total_seconds()
    return max(0.0, wall) * speed


def tick(services: Services, now: datetime | None = None) -> int:
    """Send the injects whose drill time has come at ``now`` (the scheduler's clock: the
    current time unless a caller says otherwise); returns for how many scenarios."""
    now = now or utcnow()
    speed = services.settings.drill_speed
    owners: set[int] = set()
    with services.db.begin() as session:
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
        for inject, incident in rows:
            if _elapsed_now(incident, now, speed) < inject.offset_seconds:
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
                "drill_inject",
                f"Inject {inject.position + 1}: {inject.kind}",
                when=now,
                inject_kind=inject.kind,
                position=inject.position,
                said=inject.payload.get("text"),
                source=inject.payload.get("source"),
            )
            effects.enqueue(session, incident.id, "drill_inject", inject=inject.id)
            owners.add(incident.id)
    for incident_id in sorted(owners):
        effects.drain(services, incident_id)
    return len(owners)


@effects.performs("drill_inject", "post a drill inject", ordered=True)
def post_inject(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """The effect: say the inject in the drill's channel (writing its data sets first)."""
    with services.db.begin() as session:
        inject = session.get(DrillInject, int(payload["inject"]))
        incident = session.get(Incident, incident_id)
        if inject is None or incident is None or incident.channel_id is None:
            return
        kind, data, position = inject.kind, dict(inject.payload), inject.position
        channel, reference, scenario_name = incident.channel_id, incident.reference, incident.drill
    command = None
    if kind == "data":
        folder = services.settings.data_dir
        if folder is not None and scenario_name:
            scenario = scenarios.find(scenario_name, services.settings.drills_dir)
            planted = scenario.injects[position] if position < len(scenario.injects) else None
            if planted is not None:
                stem = f"{reference.lower()}-{position + 1}"
                ref, cur = scenarios.write_data(scenario, planted, folder / "drills", stem)
                command = f"/incident drift drills/{ref} drills/{cur}"
    text = drill_controls.inject_text(kind, data, command, services.settings.data_dir is not None)
    notify.post(services.client, channel, text)


def control(services: Services, channel: str, action: str, actor: str, reply: Reply) -> None:
    """*Pause*/*Resume*, *Next inject now*, *End drill*: the facilitator's or a responder's."""
    who = services.actor(actor)
    speed = services.settings.drill_speed

    def change(session: Session, incident: Incident) -> str | None:
        if not incident.drill:
            raise InvalidInput("This incident is not a drill.")
        if incident.drill_ended_at is not None:
            raise InvalidInput(f"Drill {incident.reference} is over.")
        if actor != incident.declared_by and not (services.policy.responders and who.responder):
            raise drill_controls.only_facilitator(incident)
        now = utcnow()
        if action == "pause":
            if incident.drill_paused_at is None:
                incident.drill_paused_at = now
                timeline.record(session, incident, "drill_paused", "Drill paused", actor=actor)
            else:
                incident.drill_paused_seconds += (now - incident.drill_paused_at).total_seconds()
                incident.drill_paused_at = None
                timeline.record(session, incident, "drill_resumed", "Drill resumed", actor=actor)
            return None
        if action == "next":
            following = session.scalars(
                select(DrillInject)
                .where(DrillInject.incident_id == incident.id, DrillInject.sent_at.is_(None))
                .order_by(DrillInject.position)
                .limit(1)
            ).first()
            if following is None:
                return "Every inject has been sent; end the drill when the team is done."
            following.offset_seconds = min(
                following.offset_seconds, _elapsed_now(incident, now, speed)
            )
            return None
        # End: the incident is resolved as a drill (no stakeholder hears of it), and reported.
        if incident.drill_paused_at is not None:
            incident.drill_paused_seconds += (now - incident.drill_paused_at).total_seconds()
            incident.drill_paused_at = None
        incident.drill_ended_at = now
        if incident.is_open:
            resolve(session, incident, by=actor, summary="Drill ended", now=now)
        timeline.record(session, incident, "drill_ended", "Drill ended", actor=actor, when=now)
        effects.enqueue(
            session,
            incident.id,
            "post",
            channel=channel,
            text=(f":checkered_flag: <@{actor}> ended the drill. The report follows."),
        )
        effects.enqueue(session, incident.id, "drill_report", by=actor)
        effects.enqueue(session, incident.id, "summary")
        return None

    said = apply(services, channel, change, reply)
    if said:
        reply(text=said)
    if action == "next":
        tick(services)


@effects.performs("drill_report", "upload the drill report")
def upload_report(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """The effect: score the moves, render the report, upload it to the drill's channel."""
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or incident.channel_id is None or not incident.drill:
            return
        events = timeline.events(session, incident.id)
        started = next((e for e in events if e.kind == "drill_started"), None)
        speed = float(
            (started.data if started else {}).get("speed") or services.settings.drill_speed
        )
        scenario = scenarios.find(incident.drill, services.settings.drills_dir)
        elapsed = drill_time(incident, list(events), speed)
        scored = scenarios.moves(scenario, events, elapsed)
        text = (
            document_environment()
            .get_template("drills/report.md.j2")
            .render(
                incident=incident,
                scenario=scenario,
                scored=scored,
                missed=[s for s in scored if s.done_at is None],
                unticked=scenarios.unticked(events),
                injects=[
                    {
                        "at": scenarios.clock(elapsed(e.occurred_at)),
                        "text": e.data.get("text"),
                        "kind": e.data.get("kind"),
                    }
                    for e in events
                    if e.kind == "drill_inject"
                ],
                entries=[
                    {
                        "at": scenarios.clock(elapsed(e.occurred_at)),
                        "label": timeline.label(e.kind),
                        "text": timeline.plain(e),
                    }
                    for e in events
                ],
                duration=scenarios.clock(elapsed(incident.drill_ended_at or utcnow())),
                clock=scenarios.clock,
            )
        )
        channel, reference = incident.channel_id, incident.reference
    uploaded = services.client.files_upload_v2(
        channel=channel,
        content=text,
        filename=f"drill-report-{reference.lower()}.md",
        title=f"Drill report {reference}",
        initial_comment=f":clipboard: Drill report for {reference}: the expected moves against "
        "their targets, what was missed, and the timeline.",
    )
    files = list(uploaded.get("files") or [])
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        timeline.record(
            session,
            incident,
            "drill_report",
            "Drill report uploaded",
            actor=payload.get("by"),
            file_id=files[0].get("id") if files else None,
        )
