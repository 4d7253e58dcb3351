"""Running a tabletop drill in Slack: start it, post its injects when ``bot.drills``
says they are due, the facilitator's controls, and the report's upload.

A drill is an incident with a scenario (``Incident.drill``). Everything works in it,
and nothing of it reaches real stakeholders: no broadcast (only
``INCIDENTBOT_DRILL_CHANNEL`` when set), no stakeholder channels, rollbacks and
levers only rehearsed. What a drill is and when its injects fire is ``bot.drills``
(``control``, ``injects``, ``clock``, ``report``); this module says it in Slack.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.app import effects
from bot.app import people as people_names
from bot.app.channel_setup import ProvisioningFailed, SetupRefused
from bot.app.common import apply
from bot.app.effect_kinds import DrillReport, Message, Post, PostDrillInject, RedrawSummary
from bot.app.paging import owing
from bot.drills import injects, lifecycle, report, scenarios
from bot.drills.clock import DrillClock, speed_of
from bot.incidents import notes, timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.outbox import received
from bot.slack.blocks import drill_controls
from bot.slack.blocks.kit import render
from bot.slack.blocks.text import channel_link, escape, refusal
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import DrillInject, Incident, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

NOT_AHEAD = timedelta(0)


def listing(services: Services) -> str:
    library = scenarios.library(services.settings.drills_dir)
    lines = [f"• `{s.name}`: {escape(s.title)} ({s.severity.label})" for s in library.values()]
    return "*Drill scenarios* (`/incident drill &lt;name&gt;` starts one)\n" + "\n".join(lines)


def start(services: Services, name: str, actor: str, reply: Reply) -> None:
    """Declare the drill's incident, queue its injects, set up its channel, brief everyone."""
    try:
        scenario = scenarios.find(name, services.settings.drills_dir)
    except scenarios.ScenarioError as problem:
        raise InvalidInput(str(problem)) from None
    with services.db.begin() as session:
        incident = lifecycle.start(
            session, scenario, by=actor, now=utcnow(), speed=services.settings.drill_speed
        )
        effects.enqueue(
            session,
            incident.id,
            Message(
                text=f"DRILL {scenario.title}: the facilitator's controls",
                blocks=render(
                    drill_controls.facilitator(
                        incident, scenario, actor, responders=bool(services.policy.responders)
                    )
                ),
            ),
        )
        received.finish_current(session)
        incident_id, reference = incident.id, incident.reference
    try:
        opened = services.provisioner.run(incident_id)
    except SetupRefused:
        return  # the set-up told the facilitator why, and that an operator must retry
    except ProvisioningFailed:
        reply(text=f"Drill {reference} is set up; Slack did not let me open its channel yet.")
        return
    reply(text=f"Drill {reference} started: {channel_link(opened.channel_id, opened.channel_name)}")
    effects.drain(services, incident_id)


def tick(services: Services, now: datetime | None = None, *, ahead: timedelta = NOT_AHEAD) -> int:
    """Send the injects whose drill time has come at ``now`` (the scheduler's clock: the
    current time unless a caller says otherwise); returns how many injects were sent.
    ``ahead`` (the sandbox's skip) also sends those due that much later, recorded at
    ``now``, when they are sent."""
    now = now or utcnow()
    speed = services.settings.drill_speed
    with services.db.begin() as session:
        claimed = injects.claim_due(session, now, speed, due_by=now + ahead)
        for inject in claimed:
            effects.enqueue(session, inject.incident_id, PostDrillInject(inject=inject.id))
        owners = sorted({inject.incident_id for inject in claimed})
    for incident_id in owners:
        effects.drain(services, incident_id)
    return len(claimed)


def post_inject(services: Services, incident_id: int, effect: PostDrillInject) -> None:
    """The effect: say the inject in the drill's channel (writing its data sets first)."""
    with services.db.begin() as session:
        inject = session.get(DrillInject, int(effect.inject))
        incident = session.get(Incident, incident_id)
        if inject is None or incident is None or incident.channel_id is None:
            return
        kind, data, position = inject.kind, dict(inject.payload), inject.position
        channel, reference, scenario_name = incident.channel_id, incident.reference, incident.drill
    commands: list[str] = []
    if kind == "data":
        folder = services.settings.data_dir
        if folder is not None and scenario_name:
            scenario = scenarios.find(scenario_name, services.settings.drills_dir)
            planted = scenario.injects[position] if position < len(scenario.injects) else None
            if planted is not None:
                stem = f"{reference.lower()}-{position + 1}"
                ref, cur = scenarios.write_data(scenario, planted, folder / "drills", stem)
                if planted.features or not planted.fairness:
                    commands.append(f"/incident drift drills/{ref} drills/{cur}")
                if planted.fairness:
                    commands.append(
                        f"/incident fairness drills/{ref} drills/{cur} {scenarios.FAIRNESS_CHECK}"
                    )
    has_folder = services.settings.data_dir is not None
    text = drill_controls.inject_text(kind, data, commands, has_folder)
    notify.post(services.client, channel, text)


def control(services: Services, channel: str, action: str, actor: str, reply: Reply) -> None:
    """*Pause*/*Resume*, *Next inject now*, *End drill*: the facilitator's or a responder's."""
    who, policy = services.actor(actor), services.policy

    def change(session: Session, incident: Incident) -> str | None:
        now = utcnow()
        if action == "pause":
            lifecycle.pause_or_resume(session, incident, who=who, policy=policy, now=now)
            return None
        if action == "next":
            speed = services.settings.drill_speed
            return lifecycle.skip_ahead(
                session, incident, who=who, policy=policy, now=now, speed=speed
            )
        lifecycle.end(session, incident, who=who, policy=policy, now=now)
        owing.owe_resolution(session, incident)  # the drill service's page, if one was made
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=channel,
                text=f":checkered_flag: <@{actor}> ended the drill. The report follows.",
            ),
        )
        effects.enqueue(session, incident.id, DrillReport(by=actor))
        effects.enqueue(session, incident.id, RedrawSummary())
        return None

    said = apply(services, channel, change, reply)
    if said:
        reply(text=said)
    if action == "next":
        tick(services)


def upload_report(services: Services, incident_id: int, effect: DrillReport) -> None:
    """The effect: score the moves, render the report, upload it to the drill's channel.
    Read, close, call, write: people's names come from Slack between two reads."""
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or incident.channel_id is None or not incident.drill:
            return
        people = notes.people(session, incident)
    names = people_names.names_for(services, people)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.drill and incident.channel_id
        events = timeline.events(session, incident.id)
        scenario = scenarios.find(incident.drill, services.settings.drills_dir)
        drill_clock = DrillClock.of(
            incident, events, speed_of(events, services.settings.drill_speed)
        )
        data = report.assemble(incident, scenario, events, drill_clock, names, utcnow())
        channel, reference = incident.channel_id, incident.reference
        try:
            text = report.render(data, services.settings.templates_dir)
        except report.ReportError as problem:
            text = None
            broken = refusal(problem)
    if text is None:  # a broken team template will not fix itself on retry: say so, stop
        notify.tell(services.client, channel, str(effect.by or ""), f"No drill report: {broken}")
        return
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
            EventKind.DRILL_REPORT,
            "Drill report uploaded",
            actor=effect.by,
            file_id=files[0].get("id") if files else None,
        )
