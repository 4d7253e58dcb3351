"""What the listeners, flows and the alert intake need: every long-lived object of
the process, built once at start-up by ``bot.app.compose.build_services`` and passed in.

Nothing here knows a use case: the types of the few objects a flow defines are named
for type checking only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.alerts.intake import AlertIntake
from bot.app.background import Background
from bot.config import Settings
from bot.containment.mlflow import Registry
from bot.incidents.permissions import Actor, Policy
from bot.outbox import received
from bot.outbox.engine import Engine
from bot.outbox.leases import Renewer
from bot.paging.provider import Pager
from bot.slack.webapi.responders import Responders
from bot.store.db import Database
from bot.tracking.confluence import Confluence
from bot.tracking.tracker import Tracker

if TYPE_CHECKING:
    from bot.app.channel_setup import Provisioner


@dataclass
class Services:
    settings: Settings
    db: Database
    client: WebClient
    background: Background
    alerts: AlertIntake
    responders: Responders
    outbox: Engine  # performs the durable Slack work; its holder names this process
    journal: received.Journal  # stores requests from Slack before they are acknowledged
    request_leases: Renewer  # keeps the leases of requests being run alive
    prompt_leases: Renewer  # keeps alert prompts' leases alive while they are drawn
    provisioner: Provisioner  # sets up incident channels
    registry: Registry | None  # the MLflow registry, when INCIDENTBOT_MLFLOW_URL is set
    pager: Pager | None = None  # PagerDuty or Opsgenie, when paging is set up
    tracker: Tracker | None = None  # Jira or GitHub, where action items become tickets
    wiki: Confluence | None = None  # where post-mortems are published

    @property
    def policy(self) -> Policy:
        return Policy(self.settings.responders)

    def actor(self, user: str) -> Actor:
        """``user`` as the permission policy sees them (asks Slack about the responders
        group at most once a minute: call outside a database transaction)."""
        return self.responders.actor(user)


def from_context(context: BoltContext) -> Services:
    """The services ``bot.app.compose`` put in every request's Bolt context."""
    return context["services"]  # type: ignore[no-any-return]
