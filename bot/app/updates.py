"""Status updates from Slack: draft from a template, send everywhere it must go."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.app import effects, status_page
from bot.app.common import apply
from bot.app.effect_kinds import Message, Post, RedrawSummary
from bot.documents.templating import render_text
from bot.incidents import audience as audience_rules
from bot.incidents import reminders, triage_state
from bot.incidents.errors import InvalidInput
from bot.incidents.permissions import Act
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.incidents.status_update import UpdateKind, has_update, post_update
from bot.incidents.triage_questions import answer_label
from bot.slack.blocks import update_form
from bot.slack.blocks.kit import SEVERITY_EMOJI
from bot.slack.blocks.text import channel_link, escape, words_from_slack
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

DRILL_MARK = ":performing_arts: [DRILL]"
UNKNOWN_IMPACT = "[not known yet: say what customers, money or decisions are affected]"


def when(moment: datetime | None) -> str:
    return moment.strftime("%H:%M UTC on %a %d %b") if moment else "when there is news"


def facts(session: Session, incident: Incident, cadence: reminders.Cadence) -> dict[str, Any]:
    """What a template may say about the incident (plain text, unescaped)."""
    severity = Severity(incident.severity)
    answers = triage_state.answers_of(triage_state.current(session, incident.id))
    impact = answers.get("impact")
    every = reminders.cadence_of(cadence, incident)
    return {
        "reference": incident.reference,
        "title": incident.title,
        "severity": severity.label,
        "severity_name": severity.info.name,
        "severity_emoji": SEVERITY_EMOJI[severity],
        "system": incident.service or "the model",
        "status": incident.status.replace("-", " "),
        "impact": answer_label("impact", impact, resolved=not incident.is_open)
        if impact and impact != "unknown"
        else UNKNOWN_IMPACT,
        "next_update": when(utcnow() + every if every else None),
    }


def draft(
    session: Session, incident: Incident, kind: UpdateKind, cadence: reminders.Cadence
) -> str:
    return render_text(f"updates/{kind.value}.md.j2", **facts(session, incident, cadence))


def send(
    services: Services,
    channel_id: str,
    text: str,
    actor: str,
    reply: Reply,
    kind: UpdateKind = UpdateKind.UPDATE,
    stakeholders: list[str] | None = None,
) -> None:
    """Record the update, then post it to the incident, broadcast and stakeholder channels."""
    cadence = services.settings.status_update_every
    who = services.actor(actor) if stakeholders is not None else None

    def record(session: Session, incident: Incident) -> str:
        if stakeholders is not None and set(stakeholders) != set(
            incident.stakeholder_channels or []
        ):
            if incident.private:  # where a private incident is spoken of is the Commander's call
                assert who is not None
                services.policy.check(Act.AUDIENCE, incident, who)
            incident.stakeholder_channels = stakeholders
        first = not has_update(session, incident.id)
        cleaned = post_update(
            session,
            incident,
            text,
            by=actor,
            kind=kind,
            cadence=cadence,
            words=words_from_slack(text),
        )
        label = UpdateKind.FIRST_NOTICE.label if first else kind.label
        body = escape(cleaned)
        tell_everyone(
            services,
            session,
            incident,
            f"*{label}* from <@{actor}>, sent to stakeholders:\n{body}",
            f"*{label}* · {incident.reference} · {channel_link(incident.channel_id)}\n{body}",
        )
        return cleaned

    apply(services, channel_id, record, reply)


def tell_everyone(
    services: Services, session: Session, incident: Incident, in_channel: str, outside: str
) -> None:
    """Owe the incident channel one text and every audience channel another; redraw."""
    assert incident.channel_id is not None
    if incident.drill:  # every word of a drill says it is one
        in_channel, outside = f"{DRILL_MARK} {in_channel}", f"{DRILL_MARK} {outside}"
    effects.enqueue(session, incident.id, Post(channel=incident.channel_id, text=in_channel))
    for target in audience(services, incident):
        effects.enqueue(session, incident.id, Post(channel=target, text=outside))
    effects.enqueue(session, incident.id, RedrawSummary())


def audience(services: Services, incident: Incident) -> list[str]:
    """Where updates go besides the incident channel (``bot.incidents.audience``)."""
    settings = services.settings
    return audience_rules.updates_go_to(
        incident, settings.broadcast_channel, settings.drill_channel
    )


def open_form(
    services: Services,
    trigger_id: str,
    channel_id: str,
    incident_id: int,
    kind: UpdateKind,
    reply: Reply,
    again: str = "click the button again",
) -> None:
    """Open the update form with a draft; raises InvalidInput when no update is due."""
    cadence = services.settings.status_update_every
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or incident.channel_id != channel_id:
            raise InvalidInput("That incident is gone; `/incident list` shows the open ones.")
        if not incident.is_open:
            raise InvalidInput(f"{incident.reference} is resolved; no more status updates are due.")
        if kind is UpdateKind.UPDATE and not has_update(session, incident.id):
            kind = UpdateKind.FIRST_NOTICE
        text = draft(session, incident, kind, cadence)
        view = update_form.update_modal(
            incident,
            kind,
            text,
            channel_id,
            list(incident.stakeholder_channels or []),
            status_page.form_section(services, session, incident),
        )
    notify.open_modal(services.client, trigger_id, view, reply, again=again)


def propose_first_notice(session: Session, incident: Incident, comms_lead: str) -> None:
    """When a Comms Lead is named and nothing has gone out yet, offer the first notice."""
    if has_update(session, incident.id) or not incident.is_open:
        return
    from bot.slack.blocks.kit import render

    effects.enqueue(
        session,
        incident.id,
        Message(
            channel=incident.channel_id,
            text=f"First notice for {incident.reference}: a draft is ready.",
            blocks=render(update_form.first_notice_blocks(incident, comms_lead)),
        ),
    )


def holder_for_updates(incident: Incident) -> str | None:
    return incident.holder(Role.COMMS_LEAD) or incident.holder(Role.COMMANDER)
