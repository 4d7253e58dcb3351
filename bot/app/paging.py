"""Paging the on-call from Slack: when an incident pages, bringing the on-call into the
channel, what the provider reports back, the escalation ladder, and resolving the page.

Each call to the provider is outbox work (``page``, ``bring_on_call``, ``page_escalate``,
``page_resolve``), written beside the change that owes it and performed after the
transaction: a crash, a 5xx or a rate limit is retried, a refusal is final and said in the
channel in words. The page row is unique per incident and service and carries the
provider's dedup key, so a repeat never pages twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.app import effects
from bot.app.common import apply
from bot.app.requests import PageArgs
from bot.incidents import audience, permissions
from bot.incidents.audience import Hearing
from bot.incidents.errors import InvalidInput
from bot.incidents.severity import Severity
from bot.outbox.engine import pending_filter
from bot.outbox.failures import Refused
from bot.paging import ladder, pages, webhook
from bot.paging.directory import Service
from bot.paging.provider import OnCall, Pager, PageRequest, provider_name
from bot.slack.blocks.text import channel_link, escape
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident, Page, PagerDelivery, Reminder, SlackEffect, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)


def slack_link(channel_id: str | None) -> str | None:
    """A link that opens the channel in Slack, for the on-call's phone."""
    return f"https://slack.com/app_redirect?channel={channel_id}" if channel_id else None


# -- when it pages -----------------------------------------------------------------------
def owe_automatic(services: Services, session: Session, incident: Incident) -> Page | None:
    """An incident at a paging severity pages its model's service once, and its
    escalation ladder starts. Called where an incident is set up and where its severity
    is raised; a second call changes nothing."""
    paging = services.settings.paging
    if incident.severity not in paging.severities or not incident.is_open:
        return None
    start_ladder(services, session, incident)
    if paging.pager is None:
        return None
    service = paging.directory.for_model(incident.registered_model, incident.service)
    if service is None:
        return None
    return _owe(services, session, incident, service, by=None, message=None)


def _owe(
    services: Services,
    session: Session,
    incident: Incident,
    service: Service,
    *,
    by: str | None,
    message: str | None,
) -> Page | None:
    paging = services.settings.paging
    provider = paging.pager or "drill"
    if incident.drill:  # a drill never pages a real service: its own, or it only shows
        service = paging.directory.drill or service
        provider = provider if paging.directory.drill else "drill"
    page = pages.owe(session, incident, provider, service.id, service.title, by=by, message=message)
    if page is not None:
        effects.enqueue(session, incident.id, "page", page=page.id, service=service.title)
    return page


def send_now(services: Services, incident_id: int) -> None:
    """Send an incident's owed pages at once, beside its channel's set-up (the paging pool),
    then what they owe the channel if the set-up is done (else the set-up's drain sees to it)."""
    with services.db.begin() as session:
        owed = list(
            session.scalars(
                select(SlackEffect.id).where(
                    SlackEffect.incident_id == incident_id,
                    SlackEffect.kind == "page",
                    pending_filter(),
                )
            )
        )
    for effect_id in owed:
        services.outbox.run_now(effect_id)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        done = incident is not None and incident.provisioned_at is not None
    if done:
        effects.drain(services, incident_id)


def page_by_hand(
    services: Services, channel_id: str, args: PageArgs, actor: str, reply: Reply
) -> None:
    """``/incident page [service] [message]``: anyone in the channel, at any severity. The
    first word is the service when one is called so; otherwise all of it is the message."""
    paging = services.settings.paging
    if paging.pager is None:
        reply(
            text="Paging is not set up: an operator sets INCIDENTBOT_PAGERDUTY_TOKEN (or "
            "INCIDENTBOT_OPSGENIE_KEY) and the service to page. Nobody was paged."
        )
        return

    named = paging.directory.named(args.first) if args.first else None
    message = (args.rest if named else args.whole) or None

    def record(session: Session, incident: Incident) -> Page:
        if not incident.is_open:
            raise InvalidInput(f"{incident.reference} is resolved; nobody is paged for it.")
        if named is not None:
            service = named
        else:
            found = paging.directory.for_model(incident.registered_model, incident.service)
            if found is None:
                known = ", ".join(paging.directory.names()) or "none are listed"
                raise InvalidInput(
                    "Name the service to page (`/incident page <service> [message]`): "
                    "this incident's model has none, and there is no default service. "
                    f"The services are: {known}."
                )
            service = found
        page = _owe(services, session, incident, service, by=actor, message=message)
        if page is None:
            raise InvalidInput(
                f"{service.title} is already paged for {incident.reference}; the summary has "
                "the page's link. Escalate in the provider, or page another service."
            )
        return page

    page = apply(services, channel_id, record, reply)
    if page is not None:
        reply(text=f"Paging {escape(page.service_name)}; the channel hears when it is sent.")


def on_call_now(services: Services, service_name: str | None, reply: Reply) -> None:
    """``/incident oncall [service]``: who is on call now, asked of the provider."""
    paging, pager = services.settings.paging, services.pager
    if pager is None:
        reply(text="Paging is not set up, so the bot cannot say who is on call.")
        return
    service = paging.directory.named(service_name) if service_name else paging.directory.default
    if service is None:
        known = ", ".join(paging.directory.names()) or "none are listed"
        reply(text=f"Name a service (`/incident oncall <service>`); the services are: {known}.")
        return
    try:
        people = pager.on_call(service.id)
    except Refused as refused:
        reply(
            text=f"Could not read who is on call for {escape(service.title)}: "
            f"{escape(str(refused))}."
        )
        return
    if not people:
        reply(text=f"{pager.name} says nobody is on call for {escape(service.title)} now.")
        return
    lines = [f"On call for {escape(service.title)} now ({pager.name}):"]
    lines += [f"• level {p.level}: {escape(p.name)}" for p in people]
    reply(text="\n".join(lines))


# -- the outbox work ---------------------------------------------------------------------
def _title(incident: Incident) -> str:
    label = Severity(incident.severity).label
    if incident.drill:
        return f"[DRILL] {label} {incident.reference}: {incident.title}"
    if incident.private:  # never its title or description
        return f"Private {label} incident {incident.reference}"
    return f"{label} {incident.reference}: {incident.title}"


def _details(incident: Incident, page: Page) -> str:
    link = slack_link(incident.channel_id) or "(the channel is being set up)"
    lines = [_title(incident)]
    if not incident.private and incident.description:
        lines.append(incident.description)
    if page.message:
        lines.append(f"Message: {page.message}")
    lines.append(f"Join the incident channel in Slack: {link}")
    return "\n\n".join(lines)


@effects.performs("page", lambda p: f"page {escape(str(p.get('service') or 'the on-call'))}")
def _page(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    with services.db.begin() as session:
        page = session.get(Page, payload["page"])
        incident = session.get(Incident, incident_id)
        if page is None or incident is None or page.status != "owed":
            return  # made already: a repeat of done work
        request = PageRequest(
            page.dedup_key,
            page.service,
            _title(incident),
            _details(incident, page),
            slack_link(incident.channel_id),
            urgent=incident.severity in ("sev1", "sev2"),
        )
        provider, channel = page.provider, incident.channel_id
    if provider == "drill":
        _rehearse(services, incident_id, payload["page"])
        return
    pager = _pager(services, provider)
    paged = pager.page(request)  # outside any transaction
    with services.db.begin() as session:
        page = session.get(Page, payload["page"], with_for_update=True)
        incident = session.get(Incident, incident_id)
        if page is None or incident is None or page.status != "owed":
            return
        pages.record_paged(session, incident, page, paged, pager.name, utcnow())
        effects.enqueue(session, incident_id, "summary")
        how = f" (<{paged.url}|{pager.name} incident>)" if _https(paged.url) else ""
        asked = f" at <@{page.requested_by}>'s request" if page.requested_by else ""
        said = f"\n> {escape(page.message)}" if page.message else ""
        effects.enqueue(
            session,
            incident_id,
            "post",
            channel=channel,
            text=f":pager: Paged *{escape(page.service_name)}* through {pager.name}{asked}"
            f"{how}. The on-call is being brought into this channel.{said}",
        )
        effects.enqueue(
            session, incident_id, "bring_on_call", page=page.id, service=page.service_name
        )


def _https(url: str | None) -> bool:
    """A link Slack can show as one: https, and nothing that would end it early."""
    text = str(url or "")
    return text.startswith("https://") and not any(c in text for c in "|<> ")


def _rehearse(services: Services, incident_id: int, page_id: int) -> None:
    with services.db.begin() as session:
        page = session.get(Page, page_id, with_for_update=True)
        incident = session.get(Incident, incident_id)
        if page is None or incident is None or page.status != "owed":
            return
        real = services.settings.paging.pager
        provider = provider_name(real) if real else "the pager"
        pages.record_rehearsed(session, incident, page, provider)
        effects.enqueue(session, incident_id, "summary")
        effects.enqueue(
            session,
            incident_id,
            "post",
            channel=incident.channel_id,
            text=f":performing_arts: [DRILL] In a real incident this would page "
            f"*{escape(page.service_name)}* through {provider} (service {escape(page.service)}). "
            "A drill pages nobody.",
        )


def _pager(services: Services, provider: str) -> Pager:
    pager = services.pager
    if pager is None or services.settings.paging.pager != provider:
        raise Refused(
            f"paging through {provider_name(provider)} is no longer set up",
            retry=False,
            code="no_pager",
        )
    return pager


@effects.performs(
    "bring_on_call", lambda p: f"bring the on-call of {escape(str(p.get('service')))} in"
)
def _bring_on_call(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    """Who is on call at the first level, found in Slack by email and invited."""
    with services.db.begin() as session:
        page = session.get(Page, payload["page"])
        incident = session.get(Incident, incident_id)
        if page is None or incident is None or incident.channel_id is None:
            return
        provider, service, channel = page.provider, page.service, incident.channel_id
    pager = _pager(services, provider)
    people = [p for p in pager.on_call(service) if p.level == 1]
    joined, unknown = [], []
    for person in people:
        user = _slack_user(services, person)
        if user is None:
            unknown.append(person)
            continue
        notify.invite(services.client, channel, user)
        joined.append(user)
    with services.db.begin() as session:
        parts = []
        if joined:
            parts.append(
                f"On call for *{escape(str(payload.get('service')))}*: "
                + ", ".join(f"<@{u}>" for u in joined)
                + " (invited to this channel)."
            )
        for person in unknown:
            why = (
                "has no Slack account with the email the provider gives"
                if person.email
                else "has no email in the provider to find them in Slack by"
            )
            parts.append(f"{escape(person.name)} is on call but {why}; reach them another way.")
        if not people:
            parts.append(
                f"{pager.name} names nobody on call for *{escape(str(payload.get('service')))}* "
                "now: the page waits for someone to take it."
            )
        effects.enqueue(session, incident_id, "post", channel=channel, text="\n".join(parts))


def _slack_user(services: Services, person: OnCall) -> str | None:
    if not person.email:
        return None
    try:
        found = services.client.users_lookupByEmail(email=person.email)
    except SlackApiError as exc:
        if exc.response.get("error") == "users_not_found":
            return None
        raise
    user = found.get("user") or {}
    return str(user["id"]) if user.get("id") and not user.get("deleted") else None


# -- the ladder ----------------------------------------------------------------------------
def start_ladder(services: Services, session: Session, incident: Incident) -> None:
    """The first escalation is due one window after the declaration, once."""
    paging = services.settings.paging
    every = ladder.window(paging.escalate_after, incident)
    if every is None or not (paging.pager or paging.ladder or paging.executive_channel):
        return
    pending = session.scalar(
        select(Reminder.id).where(
            Reminder.incident_id == incident.id,
            Reminder.kind == ladder.ESCALATE,
            Reminder.sent_at.is_(None),
            Reminder.cancelled_at.is_(None),
        )
    )
    if pending is None:
        due = max(incident.declared_at + every, utcnow())
        session.add(Reminder(incident_id=incident.id, kind=ladder.ESCALATE, due_at=due))


def escalate_due(
    services: Services, session: Session, incident: Incident, sent: Reminder, now: datetime
) -> None:
    """An escalation reminder fell due (the scheduler's clock): escalate unless answered."""
    paging = services.settings.paging
    before = session.scalar(
        select(func.count(Reminder.id)).where(
            Reminder.incident_id == incident.id,
            Reminder.kind == ladder.ESCALATE,
            Reminder.sent_at.is_not(None),
            Reminder.id != sent.id,
        )
    )
    level = 1 + int(before or 0)  # the level paged so far
    found = pages.of(session, incident.id)
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
            "post",
            channel=incident.channel_id,
            text=f":performing_arts: [DRILL] Nobody has taken Commander after {waited} min: "
            f"in a real incident the bot would escalate to level {step.level}{executives} now.",
        )
        return
    if step.pages:
        for page in pages.open_pages(session, incident.id):
            if page.provider == "pagerduty":
                effects.enqueue(
                    session,
                    incident.id,
                    "page_escalate",
                    page=page.id,
                    level=step.level,
                    service=page.service_name,
                )
        if entry is not None:
            effects.enqueue(session, incident.id, "ladder_invite", entry=entry)
        pages.record_escalated(session, incident, step.level, [entry] if entry else [], now)
        who = f" ({_addressed(entry)})" if entry else ""
        effects.enqueue(
            session,
            incident.id,
            "post",
            channel=incident.channel_id,
            text=f":rotating_light: Nobody has taken Commander of {incident.reference} after "
            f"{waited} min: escalating to level {step.level}{who}. Take the role on the "
            "summary to stop the escalation.",
        )
    if step.tell_executives and paging.executive_channel:
        effects.enqueue(
            session,
            incident.id,
            "post",
            channel=paging.executive_channel,
            text=_executive_notice(incident, waited),
        )
    if every is not None and step.pages:
        session.add(Reminder(incident_id=incident.id, kind=ladder.ESCALATE, due_at=now + every))


def _addressed(entry: str) -> str:
    """The operator's own ladder entry: a user or a user group, mentioned on purpose."""
    return f"<!subteam^{entry}>" if entry.startswith("S") else f"<@{entry}>"


def _executive_notice(incident: Incident, waited: int) -> str:
    """What the executives read; a private incident's says only that one exists."""
    label = Severity(incident.severity).label
    moved = f"{label} {incident.reference} has no Commander after {waited} min; escalating"
    if audience.hearing(incident) is Hearing.PRIVATE:
        return f":lock: Private {moved}."
    return (
        f":rotating_light: {moved}: {escape(incident.title)} · {channel_link(incident.channel_id)}"
    )


@effects.performs(
    "page_escalate", lambda p: f"escalate the page of {escape(str(p.get('service')))}"
)
def _page_escalate(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    with services.db.begin() as session:
        page = session.get(Page, payload["page"])
        if page is None or page.external_id is None or page.status not in pages.OPEN:
            return
        provider, external_id = page.provider, page.external_id
    if not _pager(services, provider).escalate(external_id, int(payload["level"])):
        log.info("page %s has no escalation level %s", payload["page"], payload["level"])


@effects.performs("ladder_invite", "bring the next level of the escalation ladder in")
def _ladder_invite(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    entry = str(payload["entry"])
    channel = effects.incident_channel(services, incident_id)
    people = [entry]
    if entry.startswith("S"):
        answer = services.client.usergroups_users_list(usergroup=entry)
        people = [str(u) for u in answer.get("users") or []]
    for person in people:
        notify.invite(services.client, channel, person)


# -- resolving -----------------------------------------------------------------------------
def owe_resolution(session: Session, incident: Incident) -> None:
    """The incident is resolved in Slack: each open page is resolved with the provider."""
    for page in pages.open_pages(session, incident.id):
        effects.enqueue(
            session, incident.id, "page_resolve", page=page.id, service=page.service_name
        )


@effects.performs("page_resolve", lambda p: f"resolve the page of {escape(str(p.get('service')))}")
def _page_resolve(services: Services, incident_id: int, payload: dict[str, Any]) -> None:
    with services.db.begin() as session:
        page = session.get(Page, payload["page"])
        if page is None or page.external_id is None or page.provider == "drill":
            return
        provider, external_id, key = page.provider, page.external_id, page.dedup_key
    _pager(services, provider).resolve(external_id, key)  # "already resolved" is success
    with services.db.begin() as session:
        page = session.get(Page, payload["page"], with_for_update=True)
        if page is not None and page.status != "resolved":
            page.status, page.resolved_at = "resolved", utcnow()


# -- what PagerDuty reports back ---------------------------------------------------------
def store_delivery(services: Services, webhook_id: str, body: bytes) -> bool:
    """Keep a delivery before it is answered; False when it came before (redelivered)."""
    try:
        with services.db.begin() as session:
            session.add(PagerDelivery(webhook_id=webhook_id, body=body.decode("utf-8", "replace")))
    except IntegrityError:
        return False
    return True


def apply_deliveries(services: Services, limit: int = 100) -> int:
    """Apply the stored deliveries not applied yet, oldest first, each once."""
    applied = 0
    for _ in range(limit):
        with services.db.begin() as session:
            delivery = session.scalar(
                select(PagerDelivery)
                .where(PagerDelivery.processed_at.is_(None))
                .order_by(PagerDelivery.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if delivery is None:
                break
            taken = session.execute(
                update(PagerDelivery)
                .where(PagerDelivery.id == delivery.id, PagerDelivery.processed_at.is_(None))
                .values(processed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                continue
            outcome, incident_id = _apply_one(session, delivery.body)
            delivery.outcome = outcome[:200]
        applied += 1
        if incident_id is not None:
            effects.drain(services, incident_id)
    return applied


def _apply_one(session: Session, body: str) -> tuple[str, int | None]:
    try:
        change = webhook.read(body.encode("utf-8"))
    except webhook.Unreadable as bad:
        return f"unreadable: {bad}", None
    if change is None:
        return "not an event the bot acts on", None
    done = pages.apply(session, change, "pagerduty")
    if done is None:
        return "not one of our pages, or applied before", None
    incident, page = done
    by = escape(change.by or "someone in PagerDuty")
    service = escape(page.service_name)
    text = {
        "acknowledged": f":white_check_mark: {by} acknowledged the page of *{service}*.",
        "reassigned": f":arrows_counterclockwise: {by} reassigned the page of *{service}* to "
        f"{escape(', '.join(change.assignees) or 'someone else')}.",
        "escalated": f":rotating_light: The page of *{service}* escalated to "
        f"{escape(', '.join(change.assignees) or 'the next level')}.",
        "resolved": f":information_source: {by} resolved the page of *{service}* in "
        f"PagerDuty. {incident.reference} stays open here until its Commander resolves it "
        "(`/incident resolve`).",
    }[change.kind]
    if incident.channel_id is not None:
        effects.enqueue(session, incident.id, "post", channel=incident.channel_id, text=text)
        effects.enqueue(session, incident.id, "summary")
        commander = permissions.commander(incident)
        if change.kind == "resolved" and commander:
            effects.enqueue(
                session,
                incident.id,
                "tell",
                channel=incident.channel_id,
                user=commander,
                text=f"The page of {service} is resolved in PagerDuty. Resolve "
                f"{incident.reference} with `/incident resolve` when you agree it is over.",
            )
    return change.kind, incident.id
