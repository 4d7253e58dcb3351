"""The Slack side of an incident, as stored state.

Declaring commits the incident first; its channel, pinned summary and
announcement are made afterwards. Each step is recorded when it succeeds, so a
declaration interrupted by a Slack outage or a restart is finished later by
whoever claims it next, without repeating the steps already done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Update, or_, select, update
from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.outbox.leases import LEASE
from bot.store.models import Incident, utcnow

# A claim older than this is presumed abandoned: its worker renews it while it works
# (``bot.outbox.leases``), so only a worker that died or gave up leaves it this old.
CLAIM_TTL = LEASE


def claim_renewal(incident_id: int, _holder: str, now: datetime) -> Update:
    """Keep a set-up's claim fresh while its worker is at it."""
    return (
        update(Incident)
        .where(Incident.id == incident_id, Incident.provisioned_at.is_(None))
        .where(Incident.provisioning_claimed_at.is_not(None))
        .values(provisioning_claimed_at=now)
        .execution_options(synchronize_session=False)
    )


def reserve_channel_name(session: Session, incident: Incident, name: str) -> None:
    """Hold ``name`` for this incident; the caller's commit fails if another holds it."""
    incident.channel_name = name


def record_channel(session: Session, incident: Incident, channel_id: str, name: str) -> None:
    incident.channel_id = channel_id
    incident.channel_name = name
    timeline.record(session, incident, "channel_created", f"Channel #{name} opened", name=name)


def record_summary(session: Session, incident: Incident, ts: str) -> None:
    incident.summary_ts = ts


def record_announcement(session: Session, incident: Incident, channel: str, ts: str) -> None:
    incident.announced_ts = ts
    timeline.record(
        session, incident, "announced", "Announced in the broadcast channel", channel=channel
    )


def mark_provisioned(session: Session, incident: Incident, now: datetime | None = None) -> None:
    incident.provisioned_at = now or utcnow()
    incident.provisioning_claimed_at = None


def claim_unfinished(session: Session, now: datetime | None = None, limit: int = 20) -> list[int]:
    """Claim incidents whose Slack set-up is unfinished and unclaimed (or abandoned).

    The conditional UPDATE makes the claim atomic: of two workers racing for
    one incident, only one sees its row updated.
    """
    now = now or utcnow()
    stale = now - CLAIM_TTL
    candidates = session.scalars(
        select(Incident.id)
        .where(Incident.provisioned_at.is_(None))
        .where(
            or_(
                Incident.provisioning_claimed_at.is_(None),
                Incident.provisioning_claimed_at < stale,
            )
        )
        .order_by(Incident.id)
        .limit(limit)
    ).all()
    claimed = []
    for incident_id in candidates:
        result = session.execute(
            update(Incident)
            .where(Incident.id == incident_id)
            .where(Incident.provisioned_at.is_(None))
            .where(
                or_(
                    Incident.provisioning_claimed_at.is_(None),
                    Incident.provisioning_claimed_at < stale,
                )
            )
            .values(provisioning_claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(incident_id)
    return claimed


def release_claim(session: Session, incident: Incident) -> None:
    """Give up a claim early so the next sweep retries without waiting out the TTL."""
    incident.provisioning_claimed_at = None
