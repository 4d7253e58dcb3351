"""The page sent to the provider, rehearsed in a drill, and resolved: outbox work."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.app import effects
from bot.app.effect_kinds import BringOnCall, Post, RedrawSummary, ResolvePage, SendPage
from bot.incidents.severity import Severity
from bot.outbox.failures import Refused
from bot.paging import page_records
from bot.paging.provider import Pager, PageRequest, provider_name
from bot.slack.blocks.text import escape
from bot.store.models import Incident, Page, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)


def slack_link(channel_id: str | None) -> str | None:
    """A link that opens the channel in Slack, for the on-call's phone."""
    return f"https://slack.com/app_redirect?channel={channel_id}" if channel_id else None


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


def send_page(services: Services, incident_id: int, effect: SendPage) -> None:
    with services.db.begin() as session:
        page = session.get(Page, effect.page)
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
        _rehearse(services, incident_id, effect.page)
        return
    pager = configured_pager(services, provider)
    paged = pager.page(request)  # outside any transaction
    with services.db.begin() as session:
        page = session.get(Page, effect.page, with_for_update=True)
        incident = session.get(Incident, incident_id)
        if page is None or incident is None or page.status != "owed":
            return
        page_records.record_paged(session, incident, page, paged, pager.name, utcnow())
        effects.enqueue(session, incident_id, RedrawSummary())
        how = f" (<{paged.url}|{pager.name} incident>)" if _https(paged.url) else ""
        asked = f" at <@{page.requested_by}>'s request" if page.requested_by else ""
        said = f"\n> {escape(page.message)}" if page.message else ""
        effects.enqueue(
            session,
            incident_id,
            Post(
                channel=channel,
                text=f":pager: Paged *{escape(page.service_name)}* through {pager.name}{asked}"
                f"{how}. The on-call is being brought into this channel.{said}",
            ),
        )
        effects.enqueue(session, incident_id, BringOnCall(page=page.id, service=page.service_name))


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
        page_records.record_rehearsed(session, incident, page, provider)
        effects.enqueue(session, incident_id, RedrawSummary())
        effects.enqueue(
            session,
            incident_id,
            Post(
                channel=incident.channel_id,
                text=f":performing_arts: [DRILL] In a real incident this would page "
                f"*{escape(page.service_name)}* through {provider} "
                f"(service {escape(page.service)}). A drill pages nobody.",
            ),
        )


def configured_pager(services: Services, provider: str) -> Pager:
    pager = services.pager
    if pager is None or services.settings.paging.pager != provider:
        raise Refused(
            f"paging through {provider_name(provider)} is no longer set up",
            retry=False,
            code="no_pager",
        )
    return pager


def resolve_page(services: Services, incident_id: int, effect: ResolvePage) -> None:
    with services.db.begin() as session:
        page = session.get(Page, effect.page)
        if page is None or page.external_id is None or page.provider == "drill":
            return
        provider, external_id, key = page.provider, page.external_id, page.dedup_key
    configured_pager(services, provider).resolve(external_id, key)  # "already resolved" is success
    with services.db.begin() as session:
        page = session.get(Page, effect.page, with_for_update=True)
        if page is not None and page.status != "resolved":
            page.status, page.resolved_at = "resolved", utcnow()
