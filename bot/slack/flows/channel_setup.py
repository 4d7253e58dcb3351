"""Giving a declared incident its place in Slack.

The steps: create the channel (a numeric suffix when the name is taken), invite
the declarer, set the topic, post and pin the summary, announce in the
broadcast channel. Each finished step is stored, so a run interrupted by a
Slack failure (after the client's own retries) or a restart resumes where it
stopped when the incident is next claimed, and nothing is done twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.incidents import audience, provisioning, reminders
from bot.incidents.channel_names import channel_name
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.outbox.failures import sort
from bot.outbox.leases import Renewer
from bot.slack import notify
from bot.slack.flows.triage import post_card
from bot.slack.responders import Responders
from bot.slack.views.announcement import announcement_blocks, announcement_text
from bot.slack.views.kit import render
from bot.slack.views.summary import summary_blocks, summary_text, topic
from bot.store.db import Database
from bot.store.models import Incident, SlackEffect

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

MAX_NAME_ATTEMPTS = 50


class ProvisioningFailed(RuntimeError):
    """Slack refused or failed a step; the incident stays claimed-then-released for retry."""


@dataclass
class Provisioner:
    db: Database
    client: WebClient
    settings: Settings
    responders: Responders | None = None
    # What a finished set-up owes the pager (bot.slack.flows.paging, given by the app).
    owe_page: Callable[[Session, Incident], object] | None = None
    page_now: Callable[[int], object] | None = None  # send what owe_page owed, at once
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
            created_id, name = self._create_channel(incident)
            with self.db.begin() as session:
                incident = self._get(session, incident_id)
                provisioning.record_channel(session, incident, created_id, name)
                # The page needs only the channel to link to: it is owed now and sent
                # beside the rest of the set-up, not after it.
                paged = self.owe_page is not None and self.owe_page(session, incident)
            if paged and self.page_now is not None:
                self.page_now(incident_id)
        channel_id = incident.channel_id
        assert channel_id is not None
        for person in self._invited(incident):
            try:
                notify.invite(self.client, channel_id, person)
            except SlackApiError as exc:
                if sort(exc).retry or person == incident.declared_by:
                    raise
                # A guest or a deactivated account among the others: the rest still come.
                log.warning("could not invite %s to %s: %s", person, channel_id, exc)
        self.client.conversations_setTopic(channel=channel_id, topic=topic(incident))
        if incident.summary_ts is None:
            _, ts = notify.post_marked(
                self.client,
                channel_id,
                f"incident:{incident.id}:summary",
                repeat=repeat,
                text=summary_text(incident),
                blocks=render(
                    summary_blocks(
                        incident, self.settings.status_update_every, levers=self.settings.levers
                    )
                ),
                unfurl_links=False,
            )
            with self.db.begin() as session:
                incident = self._get(session, incident_id)
                provisioning.record_summary(session, incident, ts)
        assert incident.summary_ts is not None
        notify.pin(self.client, channel_id, incident.summary_ts)
        if incident.triage_ts is None:
            post_card(self.db, self.client, incident_id, actor=None, repeat=repeat)
        broadcast = audience.announced_in(
            incident, self.settings.broadcast_channel, self.settings.drill_channel
        )
        if broadcast and incident.announced_ts is None:
            where, announced = notify.post_marked(
                self.client,
                broadcast,
                f"incident:{incident.id}:announcement",
                repeat=repeat,
                text=announcement_text(incident),
                blocks=render(announcement_blocks(incident)),
                unfurl_links=False,
            )
            with self.db.begin() as session:
                incident = self._get(session, incident_id)
                provisioning.record_announcement(session, incident, where, announced)
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

    def _owe_model_card(self, session: Session, incident: Incident) -> None:
        """When the incident names a model and a registry is set up, its card is owed once."""
        model = incident.registered_model or incident.service
        if not (self.settings.mlflow_url and model) or incident.drill:
            return  # a drill's model is the scenario's, not one to read from the registry
        owed = session.scalar(
            select(SlackEffect.id)
            .where(SlackEffect.incident_id == incident.id, SlackEffect.kind == EventKind.MODEL_CARD)
            .limit(1)
        )
        if owed is None:
            from bot.slack import effects

            effects.enqueue(session, incident.id, "model_card", model=model)

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
            claimed = provisioning.claim_unfinished(session)
        finished = 0
        for incident_id in claimed:
            try:
                self.run(incident_id, repeat=True)
                finished += 1
            except ProvisioningFailed:
                continue
        return finished
