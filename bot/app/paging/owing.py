"""When an incident pages: automatically at a paging severity, by hand with
``/incident page``, and what resolving owes the provider."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import effects
from bot.app.common import apply
from bot.app.effect_kinds import ResolvePage, SendPage
from bot.app.paging.escalation import start_ladder
from bot.app.requests import PageArgs
from bot.incidents.errors import InvalidInput
from bot.outbox.engine import pending_filter
from bot.paging import page_records
from bot.paging.directory import Service
from bot.slack.blocks.text import escape
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident, Page, SlackEffect

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)


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
    page = page_records.owe(
        session, incident, provider, service.id, service.title, by=by, message=message
    )
    if page is not None:
        effects.enqueue(session, incident.id, SendPage(page=page.id, service=service.title))
    return page


def send_now(services: Services, incident_id: int) -> None:
    """Send an incident's owed pages at once, beside its channel's set-up (the paging pool),
    then what they owe the channel if the set-up is done (else the set-up's drain sees to it)."""
    with services.db.begin() as session:
        owed = list(
            session.scalars(
                select(SlackEffect.id).where(
                    SlackEffect.incident_id == incident_id,
                    SlackEffect.kind == SendPage.kind,
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
                known = paging.directory.known()
                raise InvalidInput(
                    "Name the service to page (`/incident page <service> [message]`): "
                    "this incident's model has none, and there is no default service. "
                    f"{known[0].upper()}{known[1:]}."
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


def owe_resolution(session: Session, incident: Incident) -> None:
    """The incident is resolved in Slack: each open page is resolved with the provider."""
    for page in page_records.open_pages(session, incident.id):
        effects.enqueue(session, incident.id, ResolvePage(page=page.id, service=page.service_name))
