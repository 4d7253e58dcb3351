"""What PagerDuty reports back: each delivery stored before it is answered, then
applied once, oldest first."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.app import effects
from bot.app.effect_kinds import Post, RedrawSummary, Tell
from bot.incidents import permissions
from bot.paging import page_records, webhook
from bot.slack.blocks.text import escape
from bot.store.models import PagerDelivery, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)


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
    done = page_records.apply(session, change, "pagerduty")
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
        effects.enqueue(session, incident.id, Post(channel=incident.channel_id, text=text))
        effects.enqueue(session, incident.id, RedrawSummary())
        commander = permissions.commander(incident)
        if change.kind == "resolved" and commander:
            effects.enqueue(
                session,
                incident.id,
                Tell(
                    channel=incident.channel_id,
                    user=commander,
                    text=f"The page of {service} is resolved in PagerDuty. Resolve "
                    f"{incident.reference} with `/incident resolve` when you agree it is over.",
                ),
            )
    return change.kind, incident.id
