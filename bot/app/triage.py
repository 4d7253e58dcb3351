"""Triage in the channel: the card, answers and notes, the proposal, and runbooks.

Changes are stored with the Slack effects they owe (see effects.py), then drained.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.app import effects
from bot.app import severity as severity_flow
from bot.app.common import apply, handled
from bot.app.effect_kinds import (
    OfferRunbook,
    Post,
    RedrawSummary,
    RedrawTriageCard,
    RetireProposal,
    TriageFollowUp,
)
from bot.app.locks import incident_lock
from bot.containment import levers
from bot.incidents import runbooks, triage_state
from bot.incidents.errors import InvalidInput
from bot.incidents.triage_questions import Runbook
from bot.slack.blocks import containment_cards, triage_card
from bot.slack.blocks.kit import render
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.db import Database
from bot.store.models import Incident, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

CARD_DELETED = (
    "Your answer is recorded, but this triage card was deleted. "
    "`/incident triage` posts a new one with every answer so far."
)
STALE_CARD = (
    "This triage card has been replaced by a newer one further down the channel; answer there."
)


def _card_view(db: Database, incident_id: int) -> tuple[Incident, str, list[dict[str, Any]]]:
    """The incident and its card's blocks, read in a transaction closed before Slack is called."""
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.channel_id is not None
        state = triage_state.current(session, incident_id)
        result = triage_state.assessment(session, incident)
        blocks = render(triage_card.card(incident, state, result))
        return incident, incident.channel_id, blocks


def post_card(
    db: Database, client: WebClient, incident_id: int, actor: str | None, *, repeat: bool = False
) -> str:
    """Post a triage card showing the answers so far; it becomes the current one.
    ``repeat``: the set-up's earlier attempt may have posted it already (see
    ``notify.post_marked``); a card asked for again by a person is always new."""
    with incident_lock(incident_id):
        incident, channel, blocks = _card_view(db, incident_id)
        text = f"Triage for {incident.reference}: answer what you know."
        if actor is None:  # the set-up's card
            mark = f"incident:{incident_id}:triage"
            _, ts = notify.post_marked(
                client, channel, mark, repeat=repeat, text=text, blocks=blocks
            )
        else:
            ts = str(client.chat_postMessage(channel=channel, text=text, blocks=blocks)["ts"])
        with db.begin() as session:
            stored = session.get(Incident, incident_id)
            assert stored is not None
            triage_state.offered(session, stored, ts, by=actor)
        return ts


def redraw_card(
    services: Services,
    incident_id: int,
    response_url: str | None = None,
    asked_at: datetime | None = None,
    user: str | None = None,
) -> None:
    """Redraw the current card from the timeline; say so if someone deleted it."""
    with incident_lock(incident_id):
        incident, channel, blocks = _card_view(services.db, incident_id)
        if not incident.triage_ts:
            return
        try:
            services.client.chat_update(
                channel=channel,
                ts=incident.triage_ts,
                text=f"Triage for {incident.reference}",
                blocks=blocks,
            )
        except SlackApiError as exc:
            if exc.response.get("error") != "message_not_found":
                raise
            log.info("the triage card of %s was deleted; not redrawing it", incident.reference)
            notify.reply_for(
                services.client, response_url, asked_at or utcnow(), channel, user or ""
            )(text=CARD_DELETED)


def answer(
    services: Services,
    channel_id: str,
    card_ts: str | None,
    question: str,
    value: str,
    actor: str,
    reply: Reply,
    response_url: str | None = None,
) -> None:
    def record(session: Session, incident: Incident) -> bool:
        if card_ts and incident.triage_ts and card_ts != incident.triage_ts:
            raise InvalidInput(STALE_CARD)
        changed = triage_state.answer(session, incident, question, value, by=actor)
        if changed:
            effects.enqueue(
                session,
                incident.id,
                RedrawTriageCard(
                    response_url=response_url, asked_at=utcnow().isoformat(), user=actor
                ),
            )
            effects.enqueue(session, incident.id, TriageFollowUp())
        return changed

    apply(services, channel_id, record, reply)


def add_note(
    services: Services, channel_id: str, question: str, note: str, actor: str, reply: Reply
) -> None:
    def record(session: Session, incident: Incident) -> None:
        triage_state.add_note(session, incident, question, note, by=actor)
        effects.enqueue(session, incident.id, RedrawTriageCard())

    apply(services, channel_id, record, reply)


def follow_up(services: Services, incident_id: int) -> None:
    """Once every question is answered: post the proposal (when new) and its runbooks.

    Runs as an effect, under the incident's lock: the proposal is recorded only
    after Slack took the message, so a failure here is retried whole.
    """
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.channel_id is not None
        result = triage_state.assessment(session, incident)
        if result.proposal is None or not triage_state.is_new(session, incident, result.proposal):
            return
        channel = incident.channel_id
        answers = triage_state.answers_of(triage_state.current(session, incident.id))
        found = levers.findings(answers, result.proposal.severity.value)
        hint = containment_cards.hint_text(
            found, services.settings.levers, services.settings.mlflow_url is not None
        )
        blocks = render(triage_card.proposal_blocks(incident, result.proposal, hint))
        text = f"Triage proposes {result.proposal.severity.label} for {incident.reference}"
    posted = services.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        triage_state.propose(session, incident, result.proposal, str(posted.get("ts") or ""))
        for runbook in result.runbooks:
            effects.enqueue(session, incident_id, OfferRunbook(runbook=runbook.value))


def accept(
    services: Services, channel_id: str, proposed: str | None, actor: str, reply: Reply
) -> None:
    who = services.actor(actor)

    def record(session: Session, incident: Incident) -> None:
        change = triage_state.accept(
            session, incident, who=who, policy=services.policy, proposed=proposed
        )
        if change.changed:
            severity_flow.enqueue_announcement(services, session, incident, change, actor)
        else:
            effects.enqueue(session, incident.id, RedrawSummary())
            effects.enqueue(
                session,
                incident.id,
                Post(
                    channel=channel_id,
                    text=f"<@{actor}> accepted the triage proposal; the severity stays "
                    f"{change.current.label}.",
                ),
            )

    apply(services, channel_id, record, reply)


def decline(services: Services, channel_id: str, actor: str, reply: Reply) -> None:
    who = services.actor(actor)

    def record(session: Session, incident: Incident) -> None:
        triage_state.decline(session, incident, who=who, policy=services.policy)
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=channel_id,
                text=f"<@{actor}> kept the current severity; the triage proposal is declined.",
            ),
        )

    apply(services, channel_id, record, reply)


def request_runbook(services: Services, channel_id: str, runbook: Runbook, reply: Reply) -> None:
    """The runbook button on the card: post it unless it is already in the channel."""
    title = runbooks.load(runbook).title

    def record(session: Session, incident: Incident) -> None:
        if runbooks.was_offered(session, incident.id, runbook.value):
            raise InvalidInput(
                f"The {title} runbook is already in this channel; scroll up to its checklist."
            )
        effects.enqueue(session, incident.id, OfferRunbook(runbook=runbook.value))

    apply(services, channel_id, record, reply)


def offer_runbook(services: Services, incident_id: int, runbook: Runbook) -> None:
    """Post a runbook checklist once per incident (an effect: recorded after Slack took it)."""
    checklist = runbooks.load(runbook)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.channel_id is not None
        if runbooks.was_offered(session, incident_id, runbook.value):
            return
        done = runbooks.ticked(session, incident_id, runbook.value)
        channel = incident.channel_id
        blocks = render(triage_card.runbook_blocks(incident, checklist, done))
    posted = services.client.chat_postMessage(
        channel=channel, text=f"Runbook: {checklist.title}", blocks=blocks
    )
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        runbooks.offered(session, incident, runbook.value, checklist.title, str(posted["ts"]))


def tick(
    services: Services,
    channel_id: str,
    runbook: Runbook,
    index: int,
    done: bool,
    actor: str,
    reply: Reply,
) -> None:
    items = runbooks.load(runbook).items
    handled(
        services,
        channel_id,
        lambda session, incident: runbooks.set_item(
            session, incident, runbook.value, items, index, done, by=actor
        ),
        reply,
    )


def redraw_card_owed(services: Services, incident_id: int, effect: RedrawTriageCard) -> None:
    asked = effect.asked_at
    redraw_card(
        services,
        incident_id,
        effect.response_url,
        datetime.fromisoformat(asked) if asked else None,
        effect.user,
    )


def follow_up_owed(services: Services, incident_id: int, effect: TriageFollowUp) -> None:
    follow_up(services, incident_id)


def runbook_owed(services: Services, incident_id: int, effect: OfferRunbook) -> None:
    offer_runbook(services, incident_id, Runbook(effect.runbook))


def retire_proposal(services: Services, incident_id: int, effect: RetireProposal) -> None:
    """The effect owed on resolution: the last proposal's message without its buttons,
    which could change nothing any more."""
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        shown = triage_state.shown_proposal(session, incident_id) if incident else None
        if incident is None or incident.channel_id is None or shown is None:
            return
        proposal, ts = shown
        channel = incident.channel_id
        blocks = render(triage_card.proposal_blocks(incident, proposal, resolved=True))
        text = f"Triage proposes {proposal.severity.label} for {incident.reference}"
    services.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
