"""The escalation ladder: when nobody takes Commander, the next level is paged and
invited, and the executives told, on the scheduler's clock."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.app import effects
from bot.app.effect_kinds import EscalatePage, LadderInvite, Post
from bot.app.paging.sending import configured_pager
from bot.incidents import audience
from bot.incidents.audience import Hearing
from bot.incidents.severity import Severity
from bot.paging import ladder, page_records
from bot.slack.blocks.text import channel_link, escape
from bot.slack.webapi import notify
from bot.store.models import Incident, Page, Reminder, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)


def start_ladder(services: Services, session: Session, incident: Incident) -> None:
    """The first escalation is due one window after the declaration, once."""
    paging = services.settings.paging
    every = ladder.window(paging.escalate_after, incident)
    if every is None or not (paging.pager or paging.ladder or paging.executive_channel):
        return
    if not ladder.escalation_pending(session, incident.id):
        due = max(incident.declared_at + every, utcnow())
        session.add(Reminder(incident_id=incident.id, kind=ladder.ESCALATE, due_at=due))


def escalate_due(
    services: Services, session: Session, incident: Incident, sent: Reminder, now: datetime
) -> None:
    """An escalation reminder fell due (the scheduler's clock): escalate unless answered."""
    paging = services.settings.paging
    level = 1 + ladder.escalations_sent(session, incident.id, besides=sent.id)  # paged so far
    found = page_records.of(session, incident.id)
    step = ladder.next_step(
        incident,
        [p for p in found if p.provider != "drill"],
        paging.ladder,
        level,
        provider_levels=paging.pager == "pagerduty",
        executives=paging.executive_channel,
        now=now,
    )
    if step is None or incident.channel_id is None:
        return
    every = ladder.window(paging.escalate_after, incident)
    waited = int((now - incident.declared_at).total_seconds() // 60)
    entry = step.ladder_entry
    if incident.drill:  # rehearsed: nobody real is paged, mentioned or told
        executives = " and tell the executives" if step.tell_executives else ""
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=incident.channel_id,
                text=":performing_arts: [DRILL] Nobody has taken the Incident Commander role "
                f"after {waited} min: in a real incident the bot would escalate to level "
                f"{step.level}{executives} now.",
            ),
        )
        return
    if step.pages:
        for page in page_records.open_pages(session, incident.id):
            if page.provider == "pagerduty":
                effects.enqueue(
                    session,
                    incident.id,
                    EscalatePage(page=page.id, level=step.level, service=page.service_name),
                )
        if entry is not None:
            effects.enqueue(session, incident.id, LadderInvite(entry=entry))
        page_records.record_escalated(session, incident, step.level, [entry] if entry else [], now)
        who = f" ({_addressed(entry)})" if entry else ""
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=incident.channel_id,
                text=":rotating_light: Nobody has taken the Incident Commander role on "
                f"{incident.reference} after {waited} min: escalating to level "
                f"{step.level}{who}. Take the role on the summary to stop the escalation.",
            ),
        )
    if step.tell_executives and paging.executive_channel:
        effects.enqueue(
            session,
            incident.id,
            Post(channel=paging.executive_channel, text=_executive_notice(incident, waited)),
        )
    if every is not None and step.pages:
        session.add(Reminder(incident_id=incident.id, kind=ladder.ESCALATE, due_at=now + every))


def _addressed(entry: str) -> str:
    """The operator's own ladder entry: a user or a user group, mentioned on purpose."""
    return f"<!subteam^{entry}>" if entry.startswith("S") else f"<@{entry}>"


def _executive_notice(incident: Incident, waited: int) -> str:
    """What the executives read; a private incident's says only that one exists."""
    label = Severity(incident.severity).label
    moved = f"{label} {incident.reference} has no Incident Commander after {waited} min; escalating"
    if audience.hearing(incident) is Hearing.PRIVATE:
        return f":lock: Private {moved}."
    return (
        f":rotating_light: {moved}: {escape(incident.title)} · {channel_link(incident.channel_id)}"
    )


def escalate_page(services: Services, incident_id: int, effect: EscalatePage) -> None:
    with services.db.begin() as session:
        page = session.get(Page, effect.page)
        if page is None or page.external_id is None or page.status not in page_records.OPEN:
            return
        provider, external_id = page.provider, page.external_id
    if not configured_pager(services, provider).escalate(external_id, int(effect.level)):
        log.info("page %s has no escalation level %s", effect.page, effect.level)


def invite_next_level(services: Services, incident_id: int, effect: LadderInvite) -> None:
    entry = str(effect.entry)
    channel = effects.incident_channel(services, incident_id)
    people = [entry]
    if entry.startswith("S"):
        answer = services.client.usergroups_users_list(usergroup=entry)
        people = [str(u) for u in answer.get("users") or []]
    for person in people:
        notify.invite(services.client, channel, person)
