"""Serious-incident reporting's use cases: the assessment (its form and its record), the
awareness correction, the scheduler's tick that offers the assessment and reminds the
Legal Liaison of the deadline, the report's drafts and what was sent, and the evidence kept
before a rollback or lever (the summary's reporting line is ``clock_line``).

Reporting off (``INCIDENTBOT_REPORTING`` unset): every entry here refuses with one
sentence, the summary shows nothing of it, and the tick does nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.app import effects
from bot.app.common import NOT_AN_INCIDENT, apply
from bot.app.effect_kinds import Message, Post, RedrawSummary, Upload
from bot.app.services import Services
from bot.config import Settings
from bot.containment.mlflow import RegistryError
from bot.incidents import queries, timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act, commander
from bot.incidents.roles import Role
from bot.reporting import assessment, clock, evidence, report
from bot.reporting.regimes import FIELDS, Answers
from bot.slack.blocks import serious
from bot.slack.blocks.kit import render
from bot.slack.blocks.text import escape, mention
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident, utcnow

OFF = (
    "Serious-incident reporting is off here: an administrator turns it on with "
    "INCIDENTBOT_REPORTING=eu-ai-act."
)


def require_on(settings: Settings) -> None:
    if not settings.reporting.on:
        raise InvalidInput(OFF)


def _off(services: Services, reply: Reply) -> bool:
    """Reporting is off: say so, and do nothing."""
    if services.settings.reporting.on:
        return False
    reply(text=OFF)
    return True


# -- the assessment -------------------------------------------------------------------


def open_assessment(
    services: Services, trigger_id: str, channel_id: str, user: str, reply: Reply, again: str
) -> None:
    """Open the assessment form, filled in with the last answers; refuses at once someone
    who may not assess."""
    require_on(services.settings)
    regime = services.settings.reporting.regime
    who = services.actor(user)
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel_id)
        if incident is None:
            raise InvalidInput(NOT_AN_INCIDENT)
        services.policy.check(Act.ASSESS, incident, who)
        case = assessment.case_of(session, incident.id)
        before = Answers.from_data(case.answers if case else None)
        view = serious.assessment_modal(incident, regime, before, channel_id)
    notify.open_modal(services.client, trigger_id, view, reply, form="the assessment", again=again)


def submit_assessment(
    services: Services, channel_id: str, answers: Answers, user: str, reply: Reply
) -> None:
    """Record the submitted assessment; the channel hears the verdict and the deadline."""
    if _off(services, reply):
        return
    regime = services.settings.reporting.regime
    who = services.actor(user)

    def change(session: Session, incident: Incident) -> assessment.Assessed:
        result = assessment.assess(
            session,
            incident,
            regime,
            answers,
            by=who,
            policy=services.policy,
            now=utcnow(),
            drill_speed=services.settings.drill_speed,
        )
        effects.enqueue(session, incident.id, RedrawSummary())
        if result.serious and result.due_at is not None:
            words = clock.due_words(result.due_at, utcnow(), drill=bool(incident.drill))
            said = (
                f":scales: {mention(user)} assessed {incident.reference} a *serious incident* "
                f"under {escape(regime.title)}: {escape(words)} ({escape(result.reason or '')}). "
                "`/incident authority-report initial` drafts the first report."
            )
        else:
            said = (
                f":scales: {mention(user)} assessed {incident.reference} *not* a serious "
                "incident for now; `/incident assess` revises it as facts arrive."
            )
        if result.revised:
            said = ":arrows_counterclockwise: Revised. " + said
        effects.enqueue(session, incident.id, Post(channel=incident.channel_id, text=said))
        return result

    apply(services, channel_id, change, reply)


def correct_awareness(
    services: Services, channel_id: str, when: datetime, why: str, user: str, reply: Reply
) -> None:
    """``/incident assess aware <when> <why>``: awareness corrected, the deadline moved."""
    if _off(services, reply):
        return
    who = services.actor(user)

    def change(session: Session, incident: Incident) -> datetime:
        due = assessment.correct_awareness(
            session,
            incident,
            when,
            why,
            by=who,
            policy=services.policy,
            now=utcnow(),
            drill_speed=services.settings.drill_speed,
        )
        effects.enqueue(session, incident.id, RedrawSummary())
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=incident.channel_id,
                text=f":scales: {mention(user)} corrected when the provider became aware of "
                f"{incident.reference} to {when:%a %d %b %H:%M} UTC ({escape(why.strip())}): "
                f"{escape(clock.due_words(due, utcnow(), drill=bool(incident.drill)))}.",
            ),
        )
        return due

    apply(services, channel_id, change, reply)


def record_sent(
    services: Services,
    channel_id: str,
    which: str,
    reference: str | None,
    user: str,
    reply: Reply,
) -> None:
    """``/incident authority-report sent initial|complete [reference]``."""
    if _off(services, reply):
        return
    who = services.actor(user)

    def change(session: Session, incident: Incident) -> str:
        said = assessment.record_sent(
            session, incident, which, reference, by=who, policy=services.policy, now=utcnow()
        )
        effects.enqueue(session, incident.id, RedrawSummary())
        effects.enqueue(
            session,
            incident.id,
            Post(channel=incident.channel_id, text=f":scales: {mention(user)}: {escape(said)}."),
        )
        return said

    apply(services, channel_id, change, reply)


# -- the clock ------------------------------------------------------------------------


def tick(services: Services, now: datetime | None = None) -> int:
    """Offer the assessment where it is called for, and send the reminders due at ``now``
    (the scheduler's clock); returns how many messages were owed."""
    settings = services.settings
    if not settings.reporting.on:
        return 0
    now = now or utcnow()
    regime = settings.reporting.regime
    owed: set[int] = set()
    with services.db.begin() as session:
        candidates = [(i.id, reason) for i, reason in assessment.offer_candidates(session)]
    for incident_id, reason in candidates:
        with services.db.begin() as session:
            incident = queries.lock(session, incident_id)
            if incident is None or not assessment.claim_offer(session, incident, regime, now):
                continue
            legal = incident.holder(Role.LEGAL_LIAISON)
            people = tuple(dict.fromkeys(p for p in (commander(incident), legal) if p))
            effects.enqueue(
                session,
                incident.id,
                Message(
                    channel=incident.channel_id,
                    text=f"Is {incident.reference} a serious incident? Assess it.",
                    blocks=render(serious.offer_blocks(incident, reason, people)),
                ),
            )
            effects.enqueue(session, incident.id, RedrawSummary())
            owed.add(incident.id)
    with services.db.begin() as session:
        claimed = assessment.due_reminders(session, now)
        for incident_id in claimed:
            incident = session.get(Incident, incident_id)
            if incident is None:
                continue
            reminded = assessment.remind(session, incident, now, settings.drill_speed)
            if reminded is None:
                continue
            said, who = reminded
            effects.enqueue(
                session,
                incident.id,
                Post(
                    channel=incident.channel_id,
                    text=f":alarm_clock: {mention(who) + ' ' if who else ''}{said}",
                ),
            )
            effects.enqueue(session, incident.id, RedrawSummary())
            owed.add(incident.id)
    for incident_id in sorted(owed):
        effects.drain(services, incident_id)
    return len(owed)


# -- the report to the authority ------------------------------------------------------


def draft_report(
    services: Services, channel_id: str, user: str, complete: bool, reply: Reply
) -> None:
    """``/incident authority-report initial|complete``: the draft uploaded to the incident's
    channel (and nowhere else, private or not) as Markdown and HTML."""
    if _off(services, reply):
        return
    settings = services.settings.reporting

    def change(session: Session, incident: Incident) -> list[str]:
        drafted = report.gather(session, incident, settings, complete=complete)
        try:
            report.check_complete(drafted)
        except report.ReportError as problem:
            raise InvalidInput(str(problem)) from None
        which = "complete" if complete else "initial"
        stem = f"{incident.reference}-{which}-report"
        missing = drafted.missing()
        for fmt in ("md", "html"):
            effects.enqueue(
                session,
                incident.id,
                Upload(
                    channel=str(incident.channel_id),
                    content=base64.b64encode(report.render(drafted, fmt).encode()).decode(),
                    filename=f"{stem}.{fmt}",
                    title=f"{incident.reference} {which} report to the authority ({fmt})",
                    comment=(
                        f":scales: Draft of the {which} report to "
                        f"{escape(settings.regime.authority)}"
                        + (
                            f"; still missing: {escape(', '.join(FIELDS[m] for m in missing))}."
                            if missing
                            else "."
                        )
                        + " `/incident authority-report sent "
                        + which
                        + " <reference>` records that it went."
                    )
                    if fmt == "md"
                    else None,
                ),
            )
        timeline.record(
            session,
            incident,
            EventKind.AUTHORITY_REPORT_DRAFTED,
            f"The {which} report to the authority was drafted"
            + (f"; missing: {', '.join(FIELDS[m] for m in missing)}" if missing else ""),
            actor=user,
            report=which,
            missing=missing,
            last_hash=drafted.last_hash,
        )
        return missing

    apply(services, channel_id, change, reply)


def report_for_command_line(
    session: Session, settings: Settings, incident: Incident, complete: bool, fmt: str
) -> str:
    """``incidentbot authority-report``: the report's text; ReportError when the complete
    one is asked for with fields missing."""
    if not settings.reporting.on:
        raise report.ReportError(OFF)
    drafted = report.gather(session, incident, settings.reporting, complete=complete)
    report.check_complete(drafted)
    return report.render(drafted, fmt)


# -- evidence before change -----------------------------------------------------------


def evidence_first(
    services: Services,
    channel_id: str,
    incident_id: int,
    actor: str,
    change: str,
    read_registry: Callable[[], dict[str, Any]] | None,
) -> str | None:
    """Before ``change`` alters the AI system: when the incident is serious (or not yet
    assessed at SEV1) and reporting is on, keep the evidence and say so in the channel.
    Returns the record's digest, or None when none was needed."""
    if not services.settings.reporting.on:
        return None
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or not evidence.needed(session, incident):
            return None
    registry: dict[str, Any] | None = None
    problem: str | None = None
    if read_registry is None:
        problem = (
            "no model registry is set up for this incident (INCIDENTBOT_MLFLOW_URL, "
            "/incident model)"
        )
    else:
        try:
            registry = read_registry()
        except (RegistryError, InvalidInput) as failed:
            problem = f"the model registry did not answer: {failed}"

    # Not through ``apply``: that would mark the command that asked as done, and the
    # change it asked for has not been made yet.
    with services.db.begin() as session:
        incident = queries.lock(session, incident_id)
        if incident is None:
            return None
        record = evidence.preserve(
            session,
            incident,
            change=change,
            by=actor,
            registry=registry,
            registry_problem=problem,
            now=utcnow(),
        )
        unread = " (the registry could not be read; that is recorded too)" if problem else ""
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=channel_id,
                text=f":lock: Evidence preserved (sha256 {record.digest[:4]}…){unread}; "
                f"{escape(change)}.",
            ),
        )
        digest = record.digest
    effects.drain(services, incident_id)
    return digest
