"""Giving a declared incident its place in Slack.

The steps: create the channel (a letter suffix when the name is taken), invite
the declarer, set the topic, post and pin the summary, post the triage card,
announce in the broadcast channel. Each finished step is stored, so a run
interrupted by a Slack failure (after the client's own retries) or a restart
resumes where it stopped when the incident is next claimed, and nothing is done
twice.

Failures are sorted as the outbox sorts them. A passing one (a rate limit, an
outage) stops the run, to be resumed. A final one (``missing_scope``,
``not_in_channel``, a guest who cannot be invited...) skips that step only: it is
stored as dead outbox work, so ``incidentbot outbox --dead`` and ``/metrics`` show
it and ``incidentbot outbox retry ID`` performs it later, and the channel is told
in words; the rest of the set-up goes on. Creating the channel cannot be skipped:
a final refusal there stops the set-up, stored the same way, and the declarer is
told.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.app import effects
from bot.app.effect_kinds import (
    Announce,
    ChannelRefused,
    Effect,
    Invite,
    ModelCard,
    OpenChannel,
    PinSummary,
    PostSummary,
    PostTriageCard,
    SetTopic,
)
from bot.app.public_line import public_line
from bot.app.triage import post_card
from bot.config import Settings
from bot.incidents import audience, provisioning, reminders
from bot.incidents.channel_names import channel_name
from bot.incidents.roles import Role
from bot.outbox.failures import Failure, sort
from bot.outbox.leases import Renewer
from bot.slack.blocks.announcement import announcement_blocks, announcement_text
from bot.slack.blocks.kit import render
from bot.slack.blocks.serious import ReportingPart
from bot.slack.blocks.summary import summary_blocks, summary_text, topic
from bot.slack.blocks.text import escape
from bot.slack.webapi import notify
from bot.slack.webapi.responders import Responders
from bot.store.db import Database
from bot.store.models import Incident, SlackEffect

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

MAX_NAME_ATTEMPTS = 50


class ProvisioningFailed(RuntimeError):
    """Slack failed a step; the incident stays claimed-then-released for retry."""


class SetupRefused(ProvisioningFailed):
    """Slack refused to create the channel for good (the words say why): nothing is
    retried until an operator runs ``incidentbot outbox retry``."""


@dataclass
class Provisioner:
    db: Database
    client: WebClient
    settings: Settings
    responders: Responders | None = None
    # What a finished set-up owes the pager (bot.app.paging, given by the app).
    owe_page: Callable[[Session, Incident], object] | None = None
    page_now: Callable[[int], object] | None = None  # send what owe_page owed, at once
    drain: Callable[[int], object] | None = None  # perform an incident's owed Slack work
    leases: Renewer = field(init=False)

    def __post_init__(self) -> None:
        self.leases = Renewer(self.db, provisioning.SETUP)

    def run(self, incident_id: int, *, repeat: bool = False) -> Incident:
        """Finish every unfinished step for one incident the caller has claimed.

        ``repeat``: an earlier attempt may have posted a message and stopped before
        recording it, so each post first looks for that earlier one."""
        renewer = self.leases
        renewer.hold(incident_id, "set-up")
        try:
            return self._run(incident_id, repeat)
        except SetupRefused:
            raise
        except Exception as exc:
            with self.db.begin() as session:
                incident = session.get(Incident, incident_id)
                if incident is not None:
                    provisioning.release_claim(session, incident)
            log.warning("setting up incident %s in Slack failed, will retry: %s", incident_id, exc)
            raise ProvisioningFailed(str(exc)) from exc
        finally:
            renewer.release(incident_id)

    def _run(self, incident_id: int, repeat: bool) -> Incident:
        incident = self._load(incident_id)
        if incident.channel_id is None:
            try:
                created_id, name = self._create_channel(incident)
            except SlackApiError as exc:
                failure = sort(exc)
                if failure.retry:
                    raise
                self._stop(incident_id, failure)
                raise SetupRefused(failure.words) from exc
            with self.db.begin() as session:
                incident = self._get(session, incident_id)
                provisioning.record_channel(session, incident, created_id, name)
                effects.settle(session, incident_id, OpenChannel)  # a retried one is done
                # The page needs only the channel to link to: it is owed now and sent
                # beside the rest of the set-up, not after it.
                paged = self.owe_page is not None and self.owe_page(session, incident)
            if paged and self.page_now is not None:
                self.page_now(incident_id)
        channel_id = incident.channel_id
        assert channel_id is not None
        with self.db.begin() as session:
            refused = effects.refused(session, incident_id)
        step = _Steps(self, incident_id, refused)
        for person in self._invited(incident):
            step.run(Invite(user=person), _inviting(self.client, channel_id, person))
        step.run(SetTopic(), lambda: set_topic(self.db, self.client, incident_id))
        if step.run(PostSummary(), lambda: post_summary(self, incident_id, repeat)):
            step.run(PinSummary(), lambda: pin_summary(self.db, self.client, incident_id))
        step.run(PostTriageCard(), lambda: post_triage_card(self, incident_id, repeat))
        step.run(Announce(), lambda: announce(self, incident_id, repeat))
        with self.db.begin() as session:
            incident = self._get(session, incident_id)
            provisioning.mark_provisioned(session, incident)
            self._owe_model_card(session, incident)
            # Stakeholders expect updates from the declaration on: the first nudge is due
            # one cadence after it.
            reminders.schedule_status(session, incident, self.settings.status_update_every)
            if self.owe_page is not None:  # at a paging severity, the on-call is paged once
                self.owe_page(session, incident)
        return incident

    def _stop(self, incident_id: int, failure: Failure) -> None:
        """Slack refused the channel for good: stored as dead work (so it is listed and can
        be retried), and nobody tries again until an operator says so."""
        with self.db.begin() as session:
            incident = self._get(session, incident_id)
            dead_id = effects.record_refused(
                session, incident_id, OpenChannel(), failure, tell=False
            )
            provisioning.release_claim(session, incident)
            # The declarer hears it directly; an alert's incident has none, so its
            # watchers do. Owed like any Slack call, performed while there is no channel.
            where = incident.declared_by or self.settings.broadcast_channel
            if where:
                text = (
                    f":warning: {incident.reference} is declared and saved, but Slack refused "
                    f"to create its channel: {escape(failure.words)}. Nothing more is tried "
                    f"until an operator runs `incidentbot outbox retry {dead_id}`; "
                    "`/incident list` shows the incident meanwhile."
                )
                effects.enqueue(session, incident_id, ChannelRefused(to=where, text=text))
        log.error("Slack refused to create incident %s's channel: %s", incident_id, failure.text())
        if self.drain is not None:  # the declarer hears it now, whoever asked for the set-up
            self.drain(incident_id)

    def _owe_model_card(self, session: Session, incident: Incident) -> None:
        """When the incident names a model and a registry is set up, its card is owed once."""
        model = incident.registered_model or incident.service
        if not (self.settings.mlflow_url and model) or incident.drill:
            return  # a drill's model is the scenario's, not one to read from the registry
        owed = session.scalar(
            select(SlackEffect.id)
            .where(SlackEffect.incident_id == incident.id, SlackEffect.kind == ModelCard.kind)
            .limit(1)
        )
        if owed is None:
            effects.enqueue(session, incident.id, ModelCard(model=model))

    def _invited(self, incident: Incident) -> list[str]:
        """Who the channel starts with: the declarer and the role holders (after a move to
        a private channel). A private incident an alert declared has no declarer: the
        responders group is invited, or nobody could see it."""
        people = [incident.declared_by] if incident.declared_by else []
        people += [incident.holder(role) or "" for role in Role]
        if incident.private and not incident.declared_by and self.responders is not None:
            people += sorted(self.responders.members() or ())
        return list(dict.fromkeys(p for p in people if p))

    def _create_channel(self, incident: Incident) -> tuple[str, str]:
        """Create the channel under the first name that is free both here and in Slack.

        A name is first reserved in the database (unique), so concurrent
        declarations of one title take distinct names without asking Slack;
        Slack's ``name_taken`` then only means a channel someone else made.
        """
        day = incident.declared_at.date()
        # A private incident's channel name says only that it is private, never the title.
        said = f"private-{incident.id}" if incident.private else incident.title
        # A drill's channel says so in its name: nobody mistakes it for the real thing.
        prefix = "drill" if incident.drill else self.settings.channel_prefix
        names = (
            channel_name(prefix, day, said, attempt) for attempt in range(1, MAX_NAME_ATTEMPTS + 1)
        )
        reserved = incident.channel_name  # a resumed set-up keeps its reservation
        for name in ([reserved] if reserved else []) + list(names):
            if name != reserved and not self._reserve(incident.id, name):
                continue
            try:
                created = self.client.conversations_create(name=name, is_private=incident.private)
            except SlackApiError as exc:
                if exc.response.get("error") != "name_taken":
                    raise
                if name == reserved and (orphan := self._made_by_us(name, incident)) is not None:
                    # Slack made it just before a crash kept it from being recorded.
                    log.info("adopting #%s, created for %s before a restart", name, incident.id)
                    return orphan, name
                continue
            channel = created["channel"]
            return str(channel["id"]), str(channel["name"])
        raise ProvisioningFailed(f"no free channel name after {MAX_NAME_ATTEMPTS} tries")

    def _made_by_us(self, name: str, incident: Incident) -> str | None:
        """The ID of the channel called ``name`` if this bot created it, else None."""
        me = self.client.auth_test()["user_id"]
        kind = "private_channel" if incident.private else "public_channel"
        cursor = None
        while True:
            page = self.client.conversations_list(types=kind, limit=1000, cursor=cursor)
            for channel in page.get("channels") or []:
                if channel.get("name") == name:
                    return str(channel["id"]) if channel.get("creator") == me else None
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def _reserve(self, incident_id: int, name: str) -> bool:
        try:
            with self.db.begin() as session:
                provisioning.reserve_channel_name(session, self._get(session, incident_id), name)
            return True
        except IntegrityError:
            return False

    def _load(self, incident_id: int) -> Incident:
        with self.db.begin() as session:
            return self._get(session, incident_id)

    @staticmethod
    def _get(session: Session, incident_id: int) -> Incident:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise LookupError(f"incident {incident_id} vanished")
        return incident

    def sweep(self) -> int:
        """Claim and finish incidents left half set up; returns how many were finished."""
        with self.db.begin() as session:
            claimed = provisioning.claim_unfinished(session, refused=OpenChannel.kind)
        finished = 0
        for incident_id in claimed:
            try:
                self.run(incident_id, repeat=True)
                finished += 1
            except ProvisioningFailed:
                continue
        return finished


class _Parts(Protocol):
    """What a set-up step needs: the provisioner has these, and so do the services (for a
    step an operator retries through the outbox)."""

    db: Database
    client: WebClient
    settings: Settings


class _Steps:
    """Runs the skippable steps of one set-up: a final refusal is stored and told, and the
    set-up goes on; a passing failure is raised, to resume the whole set-up later."""

    def __init__(self, parts: _Parts, incident_id: int, refused: set[tuple[str, str]]) -> None:
        self._parts = parts
        self._incident_id = incident_id
        self._refused = refused  # refused before (a resumed set-up): not asked again

    def run(self, effect: Effect, do: Callable[[], object]) -> bool:
        key = effects.refusal_key(effect)
        if key in self._refused:
            return False
        try:
            do()
            return True
        except SlackApiError as exc:
            failure = sort(exc)
            if failure.retry:
                raise
        with self._parts.db.begin() as session:
            effects.record_refused(session, self._incident_id, effect, failure)
        self._refused.add(key)
        log.warning(
            "set-up of incident %s skipped %s: %s", self._incident_id, effect.kind, failure.text()
        )
        return False


def _inviting(client: WebClient, channel: str, person: str) -> Callable[[], None]:
    return lambda: notify.invite(client, channel, person)


def _incident(db: Database, incident_id: int) -> Incident:
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
    if incident is None or incident.channel_id is None:
        raise LookupError(f"incident {incident_id} has no channel")
    return incident


def set_topic(db: Database, client: WebClient, incident_id: int) -> None:
    incident = _incident(db, incident_id)
    assert incident.channel_id is not None
    client.conversations_setTopic(channel=incident.channel_id, topic=topic(incident))


def post_summary(parts: _Parts, incident_id: int, repeat: bool) -> None:
    """Post the summary that gets pinned, once."""
    incident = _incident(parts.db, incident_id)
    if incident.summary_ts is not None:
        return
    assert incident.channel_id is not None
    with parts.db.begin() as session:
        public = public_line(session, parts.settings, incident)
    _, ts = notify.post_marked(
        parts.client,
        incident.channel_id,
        f"incident:{incident.id}:summary",
        repeat=repeat,
        text=summary_text(incident),
        blocks=render(
            summary_blocks(
                incident,
                parts.settings.status_update_every,
                levers=parts.settings.levers,
                reporting=ReportingPart() if parts.settings.reporting.on else None,
                public=public,
            )
        ),
        unfurl_links=False,
    )
    with parts.db.begin() as session:
        stored = session.get(Incident, incident_id)
        assert stored is not None
        provisioning.record_summary(session, stored, ts)


def pin_summary(db: Database, client: WebClient, incident_id: int) -> None:
    incident = _incident(db, incident_id)
    if incident.summary_ts is None:
        raise LookupError(f"incident {incident_id} has no summary to pin")
    assert incident.channel_id is not None
    notify.pin(client, incident.channel_id, incident.summary_ts)


def post_triage_card(parts: _Parts, incident_id: int, repeat: bool) -> None:
    if _incident(parts.db, incident_id).triage_ts is None:
        post_card(parts.db, parts.client, incident_id, actor=None, repeat=repeat)


def announce(parts: _Parts, incident_id: int, repeat: bool) -> None:
    """Announce in the broadcast channel (a drill's in the drill channel), once."""
    incident = _incident(parts.db, incident_id)
    broadcast = audience.announced_in(
        incident, parts.settings.broadcast_channel, parts.settings.drill_channel
    )
    if not broadcast or incident.announced_ts is not None:
        return
    where, announced = notify.post_marked(
        parts.client,
        broadcast,
        f"incident:{incident.id}:announcement",
        repeat=repeat,
        text=announcement_text(incident),
        blocks=render(announcement_blocks(incident)),
        unfurl_links=False,
    )
    with parts.db.begin() as session:
        stored = session.get(Incident, incident_id)
        assert stored is not None
        provisioning.record_announcement(session, stored, where, announced)


# The steps an operator retries with `incidentbot outbox retry ID` after Slack refused them
# (an invite is the outbox's own "invite").
def retry_topic(services: Services, incident_id: int, effect: SetTopic) -> None:
    set_topic(services.db, services.client, incident_id)


def retry_summary(services: Services, incident_id: int, effect: PostSummary) -> None:
    post_summary(services, incident_id, repeat=True)
    pin_summary(services.db, services.client, incident_id)


def retry_pin(services: Services, incident_id: int, effect: PinSummary) -> None:
    pin_summary(services.db, services.client, incident_id)


def retry_triage_card(services: Services, incident_id: int, effect: PostTriageCard) -> None:
    post_triage_card(services, incident_id, repeat=True)


def retry_announce(services: Services, incident_id: int, effect: Announce) -> None:
    announce(services, incident_id, repeat=True)


def tell_channel_refused(services: Services, incident_id: int, effect: ChannelRefused) -> None:
    """To the declarer (a direct message from the app) or the broadcast channel."""
    notify.post(services.client, effect.to, effect.text)


def retry_channel(services: Services, incident_id: int, effect: OpenChannel) -> None:
    """Owed again, it lets the set-up sweep take the incident up; the set-up marks it done
    when the channel exists, so there is nothing left to do here."""
