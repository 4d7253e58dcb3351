"""Alerts as the Slack adapter runs them: what each change shows, the prompt, the clicks.

``reporter`` is handed to ingest and turns each change into outbox effects in
ingest's own transaction. ``after`` queues what an applied delivery owes
Slack: a new incident's channel, the outbox drain, the prompt redraw.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.alerts import group_lifecycle
from bot.alerts.ingest import Change, Disposition
from bot.app import effects
from bot.app.channel_setup import ProvisioningFailed, SetupRefused
from bot.app.effect_kinds import AlertDigest, Bookmark, Message, StartDrift
from bot.incidents.errors import InvalidInput
from bot.outbox.failures import sort
from bot.outbox.leases import Lease
from bot.slack.blocks import alert_prompt
from bot.slack.blocks.kit import render
from bot.slack.blocks.text import channel_link, refusal
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import AlertGroup, AlertRecord, Incident, SlackEffect, TimelineEvent, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

# One process draws an alert group's prompt at a time.
PROMPTS = Lease(AlertGroup.prompt_lease_until, AlertGroup.prompt_lease_holder)

# Alert changes to a known group are shown at most this often per incident (and
# prompt): Slack allows about one message a second per channel, and a storm of
# deliveries reads better as a few digests than as one message each.
COALESCE_SECONDS = 2.0
# Annotations (or generic fields) naming the data an alert's incident should be checked on.
DRIFT_ANNOTATIONS = ("reference_data", "current_data")


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
            Message(
                text=alert_prompt.details_text(group),
                blocks=render(alert_prompt.details_blocks(group)),
            ),
        )
        for title, link in group.links.items():
            effects.enqueue(session, incident.id, Bookmark(title=title, link=link))
        reference, current = (group.annotations.get(k) for k in DRIFT_ANNOTATIONS)
        if reference and current:  # the alert says where its data is: check it at once
            effects.enqueue(session, incident.id, StartDrift(reference=reference, current=current))
        return
    if change.joined or change.refired or (change.resolved and not change.all_resolved):
        _digest_due(session, incident.id)
    if change.all_resolved and incident.is_open:
        offer = alert_prompt.resolved_offer_blocks(incident, change)
        effects.enqueue(
            session,
            incident.id,
            Message(
                text="Every alert of this incident has resolved. Resolve the incident?",
                blocks=render(offer),
            ),
        )


def _digest_due(session: Session, incident_id: int) -> None:
    """Make sure one digest of alert changes is owed to the incident channel.

    A digest not yet claimed will report this change too when it runs, so a
    storm of deliveries becomes a few messages rather than one each. The row
    lock (PostgreSQL) or the write lock (SQLite) means a digest is either
    claimed after this transaction commits, and so sees its events, or was
    claimed before, and then a new one is owed.
    """
    owed: set[int] = session.info.setdefault("alert_digests_owed", set())
    if incident_id in owed:
        return  # already made sure of in this transaction
    owed.add(incident_id)
    waiting = session.scalar(
        select(SlackEffect.id)
        .where(
            SlackEffect.incident_id == incident_id,
            SlackEffect.kind == AlertDigest.kind,
            SlackEffect.done_at.is_(None),
            SlackEffect.dead_at.is_(None),
            SlackEffect.lease_until.is_(None),
        )
        .limit(1)
        .with_for_update()
    )
    if waiting is None:
        effects.enqueue(session, incident_id, AlertDigest())


def post_digest(services: Services, incident_id: int) -> None:
    """Tell the incident channel what its alerts did since the last digest."""
    with services.db.begin() as session:
        group = session.scalars(
            select(AlertGroup)
            .where(AlertGroup.incident_id == incident_id)
            .order_by(AlertGroup.id.desc())
            .limit(1)
        ).first()
        if group is None:
            return
        reported = group.reported_event_id
        news = list(
            session.scalars(
                select(TimelineEvent)
                .where(
                    TimelineEvent.incident_id == incident_id,
                    TimelineEvent.kind.in_(alert_prompt.DIGESTED),
                    TimelineEvent.id > reported,
                )
                .order_by(TimelineEvent.id)
            )
        )
        source, group_id = group.source, group.id
        channel = session.scalar(select(Incident.channel_id).where(Incident.id == incident_id))
    text = alert_prompt.digest_text(source, news)
    if text is None or channel is None:
        return
    notify.post(services.client, channel, text)
    with services.db.begin() as session:
        session.execute(
            update(AlertGroup)
            .where(AlertGroup.id == group_id, AlertGroup.reported_event_id < news[-1].id)
            .values(reported_event_id=news[-1].id)
            .execution_options(synchronize_session=False)
        )


def after(services: Services, outcome: Disposition) -> None:
    """Queue the Slack work a processed delivery owes; returns at once.

    Outbox drains and prompt redraws read the latest state when they run, so
    during a storm the requests for one incident collapse into a few runs.
    """
    if outcome.new_incident and outcome.incident_id is not None:
        services.background.submit(_open, services, outcome.incident_id)
    elif outcome.incident_id is not None and outcome.owes_slack:
        services.background.submit_once(
            ("drain", outcome.incident_id),
            effects.drain,
            services,
            outcome.incident_id,
            delay=COALESCE_SECONDS,
        )
    if outcome.prompt_due and outcome.group_id is not None:
        services.background.submit_once(
            ("prompt", outcome.group_id),
            show_prompt,
            services,
            outcome.group_id,
            delay=0 if outcome.result == "asked" else COALESCE_SECONDS,
        )


def _open(services: Services, incident_id: int) -> None:
    try:
        services.provisioner.run(incident_id)
    except ProvisioningFailed:
        return  # the sweep finishes the set-up, then performs the effects
    effects.drain(services, incident_id)


def show_prompt(services: Services, group_id: int) -> None:
    """Post the Declare/Dismiss prompt, or redraw it to the group's latest state.

    Under the outbox's rules: the group's row is claimed with a lease (renewed while
    Slack is called), so one process draws a prompt at a time; a passing failure is
    left for the sweep; a final one gives up that revision and keeps the reason."""
    holder = services.outbox.holder
    if not _claim_prompt(services, group_id, holder):
        return  # nothing to draw, or another process is drawing it
    leases = services.prompt_leases
    leases.hold(group_id, holder)
    try:
        _draw_prompt(services, group_id)
    except Exception as exc:
        failure = sort(exc)
        values: dict[str, Any] = {"prompt_error": failure.text()[:2000]}
        if not failure.retry:
            with services.db.begin() as session:  # give this revision up; a later one retries
                values["shown_revision"] = session.scalar(
                    select(AlertGroup.revision).where(AlertGroup.id == group_id)
                )
            log.error("the prompt for alert group %s is refused: %s", group_id, failure.text())
        _release_prompt(services, group_id, **values)
        if failure.retry:
            raise
    finally:
        leases.release(group_id)


def _claim_prompt(services: Services, group_id: int, holder: str) -> bool:
    now = utcnow()
    with services.db.begin() as session:
        return PROMPTS.claim(
            session,
            group_id,
            holder,
            now,
            AlertGroup.prompt_channel.is_not(None),
            AlertGroup.prompt_ts.is_(None) | (AlertGroup.shown_revision < AlertGroup.revision),
        )


def _release_prompt(services: Services, group_id: int, **values: Any) -> None:
    with services.db.begin() as session:
        session.execute(
            update(AlertGroup)
            .where(AlertGroup.id == group_id)
            .values(**PROMPTS.released(), **values)
            .execution_options(synchronize_session=False)
        )


def _draw_prompt(services: Services, group_id: int) -> None:
    with services.db.begin() as session:
        group = session.get(AlertGroup, group_id)
        assert group is not None and group.prompt_channel is not None
        revision = group.revision
        total, firing = _counts(session, group_id)
        incident = session.get(Incident, group.incident_id) if group.incident_id else None
        shown = render(alert_prompt.prompt_blocks(group, firing, total, incident))
        channel, ts, text = group.prompt_channel, group.prompt_ts, alert_prompt.prompt_text(group)
    if ts is None:
        posted = services.client.chat_postMessage(
            channel=channel, text=text, blocks=shown, unfurl_links=False
        )
        # The setting may name the channel (#incidents); chat.update takes only IDs.
        ts, channel = str(posted["ts"]), str(posted["channel"])
    else:
        services.client.chat_update(channel=channel, ts=ts, text=text, blocks=shown)
    _release_prompt(
        services, group_id, prompt_ts=ts, prompt_channel=channel, shown_revision=revision
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
    """A click on Declare incident or Dismiss: the first click wins and is recorded.

    With a responders group set, only its members decide (anyone else is told so, and
    nothing changes)."""
    try:
        services.policy.check_alert_decision(services.actor(actor))
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return
    now = utcnow()
    answer: str | None = None  # said once the transaction is over
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
        incident_id = None
        if group is None:
            answer = "That alert is no longer known to the bot."
        else:
            session.refresh(group)
            if not won:
                answer = _already_decided(session, group)
            elif choice == "declared":
                incident = group_lifecycle.declare_from(session, group, actor=actor, now=now)
                reporter(session, Change(group, incident, new_incident=True))
                incident_id = incident.id
    if answer is not None:
        reply(text=answer)
        return
    show_prompt(services, group_id)
    if incident_id is None:
        return
    try:
        opened = services.provisioner.run(incident_id)
    except SetupRefused:
        return  # the set-up told the broadcast channel why; nothing follows until a retry
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
    """Re-queue deliveries left unapplied, and draw prompts that lag their group."""
    requeued = services.alerts.recover()
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
    return requeued


def post_digest_owed(services: Services, incident_id: int, effect: AlertDigest) -> None:
    post_digest(services, incident_id)
