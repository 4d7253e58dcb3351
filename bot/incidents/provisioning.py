"""The Slack side of an incident, as stored state.

Declaring commits the incident first; its channel, pinned summary and
announcement are made afterwards. Each step is recorded when it succeeds, so a
declaration interrupted by a Slack outage or a restart is finished later by
whoever claims it next, without repeating the steps already done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.kinds import EventKind
from bot.outbox.leases import Lease
from bot.store.models import Incident, SlackEffect, utcnow

# A set-up's claim is the time it was taken, renewed while its worker is at it; one
# older than the lease is presumed abandoned (its worker died or gave up).
SETUP = Lease(Incident.provisioning_claimed_at, stamped=True)


def reserve_channel_name(session: Session, incident: Incident, name: str) -> None:
    """Hold ``name`` for this incident; the caller's commit fails if another holds it."""
    incident.channel_name = name


def record_channel(session: Session, incident: Incident, channel_id: str, name: str) -> None:
    incident.channel_id = channel_id
    incident.channel_name = name
    timeline.record(
        session, incident, EventKind.CHANNEL_CREATED, f"Channel #{name} opened", name=name
    )


def record_summary(session: Session, incident: Incident, ts: str) -> None:
    incident.summary_ts = ts


def record_announcement(session: Session, incident: Incident, channel: str, ts: str) -> None:
    incident.announced_ts = ts
    timeline.record(
        session,
        incident,
        EventKind.ANNOUNCED,
        "Announced in the broadcast channel",
        channel=channel,
    )


def mark_provisioned(session: Session, incident: Incident, now: datetime | None = None) -> None:
    incident.provisioned_at = now or utcnow()
    incident.provisioning_claimed_at = None


def claim_unfinished(
    session: Session, now: datetime | None = None, limit: int = 20, *, refused: str
) -> list[int]:
    """Claim incidents whose Slack set-up is unfinished and unclaimed (or abandoned), but
    not those whose channel Slack refused for good: dead outbox work of the kind
    ``refused`` records that, and the set-up waits for an operator until then
    (``incidentbot outbox retry`` lets it go on).

    The conditional UPDATE makes the claim atomic: of two workers racing for
    one incident, only one sees its row updated.
    """
    now = now or utcnow()
    unfinished = Incident.provisioned_at.is_(None)
    stopped = exists().where(
        SlackEffect.incident_id == Incident.id,
        SlackEffect.kind == refused,
        SlackEffect.dead_at.is_not(None),
        SlackEffect.done_at.is_(None),
    )
    candidates = session.scalars(
        select(Incident.id)
        .where(unfinished, SETUP.free(now), ~stopped)
        .order_by(Incident.id)
        .limit(limit)
    ).all()
    return [i for i in candidates if SETUP.claim(session, i, "set-up", now, unfinished)]


def release_claim(session: Session, incident: Incident) -> None:
    """Give up a claim early so the next sweep retries without waiting out the TTL."""
    incident.provisioning_claimed_at = None
