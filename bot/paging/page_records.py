"""The pages of an incident as rows: owed once, recorded when the provider accepts them,
and moved by what the provider reports back. Every change is a timeline event written
in the caller's transaction, beside the row it changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.kinds import EventKind
from bot.paging.provider import Paged
from bot.paging.webhook import Change
from bot.store.models import Incident, Page, utcnow

OPEN = ("owed", "triggered", "acknowledged")


def dedup_key(incident: Incident, provider: str, service: str) -> str:
    """The key the provider dedups on: this incident (its number and when it was declared,
    so two installations' INC-12 differ) and the service."""
    declared = f"{incident.declared_at:%Y%m%dT%H%M%S}"
    return f"incidentbot:{incident.reference}:{declared}:{provider}:{service}"


def owe(
    session: Session,
    incident: Incident,
    provider: str,
    service: str,
    title: str,
    *,
    by: str | None = None,
    message: str | None = None,
) -> Page | None:
    """A new page row, or None when this incident has paged this service already.

    The unique key decides, so two processes deciding at once leave one row."""
    page = Page(
        incident_id=incident.id,
        provider=provider,
        service=service,
        service_name=title,
        dedup_key=dedup_key(incident, provider, service),
        requested_by=by,
        message=message,
    )
    try:
        with session.begin_nested():
            session.add(page)
            session.flush()
    except IntegrityError:
        return None
    return page


def of(session: Session, incident_id: int) -> list[Page]:
    return list(
        session.scalars(select(Page).where(Page.incident_id == incident_id).order_by(Page.id))
    )


def open_pages(session: Session, incident_id: int) -> list[Page]:
    return [p for p in of(session, incident_id) if p.status in OPEN and p.external_id]


def record_paged(
    session: Session, incident: Incident, page: Page, paged: Paged, provider: str, now: datetime
) -> None:
    """The provider took the page: its ID and link, and the event the key times read."""
    page.external_id = paged.external_id
    page.url = paged.url
    page.status = "triggered"
    page.paged_at = now
    page.error = None
    # Who asked is the event's actor, shown beside it; a raw user ID never goes in the words.
    timeline.record(
        session,
        incident,
        EventKind.PAGED,
        f"Paged {page.service_name} through {provider}",
        actor=page.requested_by,
        when=now,
        page=page.id,
        service=page.service_name,
        provider=provider,
        external_id=paged.external_id,
        url=paged.url,
        on_call=[a.name for a in paged.assignees],
    )


def record_rehearsed(session: Session, incident: Incident, page: Page, provider: str) -> None:
    """A drill's page that was only shown, never sent."""
    page.status = "resolved"
    page.paged_at = page.resolved_at = utcnow()
    timeline.record(
        session,
        incident,
        EventKind.PAGED,
        f"Would have paged {page.service_name} through {provider} (a drill pages nobody)",
        actor=page.requested_by,
        page=page.id,
        service=page.service_name,
        provider=provider,
        rehearsed=True,
    )


def apply(session: Session, change: Change, provider: str) -> tuple[Incident, Page] | None:
    """Move the page the provider reports on; None when it is not one of ours (another
    tool's incident on the same account) or the change was already applied."""
    page = session.scalar(
        select(Page)
        .where(Page.provider == provider, Page.external_id == change.external_id)
        .with_for_update()
    )
    if page is None:
        return None
    incident = session.get(Incident, page.incident_id)
    if incident is None:
        return None
    at = change.at or utcnow()
    by = change.by or "someone in PagerDuty"
    data: dict[str, Any] = {"page": page.id, "service": page.service_name, "by": change.by}
    if change.kind == "acknowledged":
        if page.acknowledged_at is not None:
            return None
        page.status, page.acknowledged_at, page.acknowledged_by = "acknowledged", at, by
        text = f"{by} acknowledged the page of {page.service_name}"
        timeline.record(session, incident, EventKind.PAGE_ACKNOWLEDGED, text, when=at, **data)
    elif change.kind == "reassigned":
        to = ", ".join(change.assignees) or "someone else"
        text = f"{by} reassigned the page of {page.service_name} to {to}"
        timeline.record(
            session,
            incident,
            EventKind.PAGE_REASSIGNED,
            text,
            when=at,
            to=list(change.assignees),
            **data,
        )
    elif change.kind == "escalated":
        level = change.level or page.escalation_level + 1
        if level <= page.escalation_level and change.level is not None:
            return None  # we escalated it ourselves, and recorded it then
        page.escalation_level = level
        to = ", ".join(change.assignees) or f"level {level}"
        text = f"The page of {page.service_name} escalated to {to}"
        timeline.record(
            session, incident, EventKind.PAGE_ESCALATED, text, when=at, level=level, **data
        )
    elif change.kind == "resolved":
        if page.status == "resolved":
            return None
        page.status, page.resolved_at = "resolved", at
        text = f"{by} resolved the page of {page.service_name} in PagerDuty"
        timeline.record(session, incident, EventKind.PAGE_RESOLVED, text, when=at, **data)
    return incident, page


def record_escalated(
    session: Session, incident: Incident, level: int, to: list[str], now: datetime
) -> None:
    """The bot's own ladder moved up a level (nobody took Commander in time)."""
    for page in open_pages(session, incident.id):
        page.escalation_level = max(page.escalation_level, level)
    timeline.record(
        session,
        incident,
        EventKind.PAGE_ESCALATED,
        f"Nobody took the Incident Commander role in time: escalated to level {level}",
        when=now,
        level=level,
        people=to,
    )
