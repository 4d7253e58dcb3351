"""Alerts as the Slack adapter runs them: what each change shows, the prompt, the clicks.

``reporter`` is handed to ingest and turns each change into outbox effects in
ingest's own transaction. ``follow`` runs after the sender has its 2xx: it sets
up new incidents' channels, performs the effects and draws the prompt.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.alerts import groups, ingest
from bot.alerts.ingest import Change, Outcome
from bot.alerts.normalized import AlertBatch
from bot.alerts.sources import PARSERS
from bot.models import AlertGroup, AlertRecord, Incident, utcnow
from bot.slack import alert_blocks, blocks, effects
from bot.slack.background import Reply
from bot.slack.provision import ProvisioningFailed
from bot.slack.text import channel_link

if TYPE_CHECKING:
    from bot.slack.services import Services

log = logging.getLogger(__name__)

_guard = threading.Lock()
_prompt_locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)


def reporter(session: Session, change: Change) -> None:
    """Store what Slack must show about ``change``, beside the change itself."""
    incident = change.incident
    if incident is None:
        return
    if change.new_incident:
        group = change.group
        effects.enqueue(
            session,
            incident.id,
            "message",
            text=alert_blocks.details_text(group),
            blocks=blocks.render(alert_blocks.details_blocks(group)),
        )
        for title, link in group.links.items():
            effects.enqueue(session, incident.id, "bookmark", title=title, link=link)
        return
    line = alert_blocks.change_text(change)
    if line:
        effects.enqueue(session, incident.id, "message", text=line)
    if change.all_resolved and incident.is_open:
        offer = alert_blocks.resolved_offer_blocks(incident, change)
        effects.enqueue(
            session,
            incident.id,
            "message",
            text="Every alert of this incident has resolved. Resolve the incident?",
            blocks=blocks.render(offer),
        )


def follow(services: Services, outcome: Outcome) -> None:
    """Slack work a processed delivery owes; runs in the background pool."""
    if outcome.incident_id is not None:
        if outcome.new_incident:
            try:
                services.provisioner.run(outcome.incident_id)
            except ProvisioningFailed:
                return  # the sweep finishes the set-up, then performs the effects
        effects.drain(services, outcome.incident_id)
    if outcome.prompt_due and outcome.group_id is not None:
        show_prompt(services, outcome.group_id)


def process(services: Services, delivery_id: int, batch: AlertBatch) -> Outcome:
    settings = services.settings
    return ingest.process(
        services.db,
        delivery_id,
        batch,
        settings.alert_policy,
        settings.broadcast_channel,
        reporter,
    )


def show_prompt(services: Services, group_id: int) -> None:
    """Post the Declare/Dismiss prompt, or redraw it to the group's latest state."""
    with _guard:
        lock = _prompt_locks[group_id]
    with lock:
        with services.db.begin() as session:
            group = session.get(AlertGroup, group_id)
            if group is None or group.prompt_channel is None:
                return
            if group.prompt_ts is not None and group.shown_revision >= group.revision:
                return
            revision = group.revision
            total, firing = _counts(session, group_id)
            incident = session.get(Incident, group.incident_id) if group.incident_id else None
            shown = blocks.render(alert_blocks.prompt_blocks(group, firing, total, incident))
            channel, ts, text = (
                group.prompt_channel,
                group.prompt_ts,
                alert_blocks.prompt_text(group),
            )
        if ts is None:
            posted = services.client.chat_postMessage(
                channel=channel, text=text, blocks=shown, unfurl_links=False
            )
            ts = str(posted["ts"])
        else:
            services.client.chat_update(channel=channel, ts=ts, text=text, blocks=shown)
        with services.db.begin() as session:
            session.execute(
                update(AlertGroup)
                .where(AlertGroup.id == group_id)
                .values(prompt_ts=ts, shown_revision=revision)
                .execution_options(synchronize_session=False)
            )


def _counts(session: Session, group_id: int) -> tuple[int, int]:
    rows = session.execute(
        select(AlertRecord.status, func.count())
        .where(AlertRecord.group_id == group_id)
        .group_by(AlertRecord.status)
    ).all()
    counts = {status: count for status, count in rows}
    return sum(counts.values()), counts.get("firing", 0)


def decide(services: Services, group_id: int, actor: str, choice: str, reply: Reply) -> None:
    """A click on Declare incident or Dismiss: the first click wins and is recorded."""
    now = utcnow()
    with services.db.begin() as session:
        won = session.execute(
            update(AlertGroup)
            .where(AlertGroup.id == group_id, AlertGroup.decision == "pending")
            .values(
                decision=choice,
                decided_by=actor,
                decided_at=now,
                revision=AlertGroup.revision + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        group = session.get(AlertGroup, group_id)
        if group is None:
            reply(text="That alert is no longer known to the bot.")
            return
        session.refresh(group)
        if not won:
            reply(text=_already_decided(session, group))
            return
        incident_id = None
        if choice == "declared":
            incident = groups.declare_from(session, group, actor=actor, now=now)
            reporter(session, Change(group, incident, new_incident=True))
            incident_id = incident.id
    show_prompt(services, group_id)
    if incident_id is None:
        return
    try:
        opened = services.provisioner.run(incident_id)
    except ProvisioningFailed:
        reply(text="The incident is declared; its channel will follow as soon as Slack allows.")
        return
    effects.drain(services, incident_id)
    with services.db.begin() as session:  # the prompt links the channel now it exists
        session.execute(
            update(AlertGroup)
            .where(AlertGroup.id == group_id)
            .values(revision=AlertGroup.revision + 1)
            .execution_options(synchronize_session=False)
        )
    show_prompt(services, group_id)
    reply(
        text=f"Declared {opened.reference}: {channel_link(opened.channel_id, opened.channel_name)}"
    )


def _already_decided(session: Session, group: AlertGroup) -> str:
    who = f"<@{group.decided_by}>" if group.decided_by else "someone"
    if group.decision == "declared" and group.incident_id:
        incident = session.get(Incident, group.incident_id)
        if incident is not None:
            return (
                f"{who} already declared this alert as {incident.reference}: "
                f"{channel_link(incident.channel_id, incident.channel_name)}"
            )
    return f"{who} already dismissed this alert; nothing was changed."


def sweep(services: Services) -> int:
    """Process deliveries left unprocessed, and draw prompts that lag their group."""
    done = 0
    for delivery_id, source, body in ingest.pending(services.db):
        try:
            outcome = process(services, delivery_id, PARSERS[source](json.loads(body)))
            follow(services, outcome)
            done += 1
        except Exception as exc:
            log.warning("alert delivery %s still fails: %s", delivery_id, exc)
            ingest.note_failure(services.db, delivery_id, f"{type(exc).__name__}: {exc}")
    with services.db.begin() as session:
        stale = session.scalars(
            select(AlertGroup.id).where(
                AlertGroup.prompt_channel.is_not(None),
                (AlertGroup.prompt_ts.is_(None))
                | (AlertGroup.shown_revision < AlertGroup.revision),
            )
        ).all()
    for group_id in stale:
        try:
            show_prompt(services, group_id)
        except Exception as exc:
            log.warning("the prompt for alert group %s could not be drawn: %s", group_id, exc)
    return done
