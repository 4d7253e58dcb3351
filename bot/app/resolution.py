"""Resolving from Slack: record it, stop the nudges, tell everyone who follows the incident."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.app import effects, status_page, tickets
from bot.app.common import apply
from bot.app.effect_kinds import LearnNames, Post, RetireProposal
from bot.app.paging import owing
from bot.app.updates import UNKNOWN_IMPACT, facts, tell_everyone, when
from bot.documents.templating import render_text
from bot.incidents import audience, reminders
from bot.incidents.audience import Hearing
from bot.incidents.resolve import resolve
from bot.incidents.status_update import UpdateKind, post_update
from bot.slack.blocks.text import channel_link, escape, words_from_slack
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident, Reminder, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

# Resolving without a summary goes straight to stakeholders: plain words, no placeholders.
NO_SUMMARY = "details follow in the post-mortem."
NO_SUMMARY_NOR_POSTMORTEM = "details follow on the incident's timeline."
IMPACT_NOT_ASSESSED = "not yet assessed"


def resolve_incident(
    services: Services, channel_id: str, actor: str, summary: str | None, reply: Reply
) -> None:
    cadence = services.settings.status_update_every
    who = services.actor(actor)

    def record(session: Session, incident: Incident) -> Incident:
        now = utcnow()
        resolve(session, incident, who=who, policy=services.policy, summary=summary, now=now)
        due = reminders.resolved(session, incident, now)
        owing.owe_resolution(session, incident)
        tickets.owe_on_resolution(services, session, incident)
        effects.enqueue(session, incident.id, LearnNames())  # for exports read outside Slack
        effects.enqueue(session, incident.id, RetireProposal())
        status_page.offer_resolution(services, session, incident)
        text = resolution_message(session, incident, summary, due, cadence)
        post_update(
            session,
            incident,
            text,
            by=actor,
            kind=UpdateKind.RESOLUTION,
            cadence=cadence,
            now=now,
            words=words_from_slack(text),
        )
        body = escape(text)
        tell_everyone(
            services,
            session,
            incident,
            f":white_check_mark: <@{actor}> resolved {incident.reference}.\n{body}",
            f"{incident.reference} resolved · {channel_link(incident.channel_id)}\n{body}",
        )
        broadcast = services.settings.broadcast_channel
        if broadcast and audience.hearing(incident) is Hearing.PRIVATE:
            # the broadcast said one existed: it says it is over
            effects.enqueue(
                session,
                incident.id,
                Post(
                    channel=broadcast,
                    text=f":lock: Private incident {incident.reference} is resolved.",
                ),
            )
        return incident

    apply(services, channel_id, record, reply)


def resolution_message(
    session: Session,
    incident: Incident,
    summary: str | None,
    due: list[Reminder],
    cadence: reminders.Cadence,
) -> str:
    """The resolution notice, in the template's words, with the incident's facts."""
    started = incident.detected_at or incident.declared_at
    ended = incident.resolved_at or utcnow()
    minutes = max(1, int((ended - started).total_seconds() // 60))
    duration = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    postmortem = next((r.due_at for r in due if r.kind == reminders.POSTMORTEM_DUE), None)
    known = facts(session, incident, cadence)
    if known["impact"] == UNKNOWN_IMPACT:
        known["impact"] = IMPACT_NOT_ASSESSED
    return render_text(
        "updates/resolution.md.j2",
        **known,
        summary=summary or (NO_SUMMARY if postmortem else NO_SUMMARY_NOR_POSTMORTEM),
        started=when(started),
        resolved=when(ended),
        duration=duration,
        postmortem_due=postmortem.strftime("%a %d %b") if postmortem else None,
    )
