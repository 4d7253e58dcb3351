"""What PagerDuty reports back: each delivery stored before it is answered, then
applied once, oldest first."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update
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


MAX_ATTEMPTS = 5  # tries (one a sweep) before a delivery that fails to apply is set aside


def store_delivery(services: Services, webhook_id: str, body: bytes) -> bool:
    """Keep a delivery before it is answered; False when it came before: the same
    ``X-Webhook-Id``, or the same signed ``event.id`` under a new header (a replay)."""
    event_id, subject = webhook.identity(body)
    try:
        with services.db.begin() as session:
            session.add(
                PagerDelivery(
                    webhook_id=webhook_id,
                    event_id=event_id,
                    subject=subject,
                    body=body.decode("utf-8", "replace"),
                )
            )
    except IntegrityError:
        return False
    return True


def apply_deliveries(services: Services, limit: int = 100) -> int:
    """Apply the stored deliveries not applied yet, oldest first, each once.

    One that fails is tried again at the next sweep and set aside after ``MAX_ATTEMPTS``
    (``incidentbot outbox --dead`` lists it); meanwhile the deliveries about other
    PagerDuty incidents go on, and those about the same one wait, so each incident's
    changes keep their order."""
    applied = 0
    failed: set[int] = set()  # tried and failed in this run
    waiting: set[str] = set()  # incidents whose earlier delivery failed in this run
    for _ in range(limit):
        taken: tuple[int, str | None] | None = None
        try:
            with services.db.begin() as session:
                delivery = _next(session, failed, waiting)
                if delivery is None:
                    break
                if not _take(session, delivery.id):
                    continue
                taken = (delivery.id, delivery.subject)
                outcome, incident_id = _apply_one(session, delivery.body)
                delivery.outcome = outcome[:200]
        except Exception as error:
            if taken is None:
                raise  # the queue itself could not be read: the next sweep tries again
            log.exception("PagerDuty delivery %s could not be applied", taken[0])
            set_aside = _note_failure(services, taken[0], error)
            failed.add(taken[0])
            if taken[1] and not set_aside:  # set aside, it no longer holds its incident back
                waiting.add(taken[1])
            continue
        applied += 1
        if incident_id is not None:
            effects.drain(services, incident_id)
    return applied


def _next(session: Session, failed: set[int], waiting: set[str]) -> PagerDelivery | None:
    query = (
        select(PagerDelivery)
        .where(PagerDelivery.processed_at.is_(None), PagerDelivery.dead_at.is_(None))
        .order_by(PagerDelivery.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if failed:
        query = query.where(PagerDelivery.id.not_in(failed))
    if waiting:
        query = query.where(
            or_(PagerDelivery.subject.is_(None), PagerDelivery.subject.not_in(waiting))
        )
    return session.scalar(query)


def _take(session: Session, delivery_id: int) -> bool:
    """Mark the delivery applied, in the transaction that applies it (rolled back with it)."""
    taken = session.execute(
        update(PagerDelivery)
        .where(PagerDelivery.id == delivery_id, PagerDelivery.processed_at.is_(None))
        .values(processed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def _note_failure(services: Services, delivery_id: int, error: Exception) -> bool:
    """Count the failed attempt; True when that sets the delivery aside."""
    with services.db.begin() as session:
        delivery = session.get(PagerDelivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.processed_at is not None:
            return False
        delivery.attempts += 1
        delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.dead_at = utcnow()
            log.error(
                "PagerDuty delivery %s set aside after %d attempts; "
                "`incidentbot outbox --dead` lists it",
                delivery_id,
                delivery.attempts,
            )
        return delivery.dead_at is not None


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
