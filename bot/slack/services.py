"""What the listeners and the alert intake need, built once at start-up and passed in.

``bot.slack.app.build_services`` puts it together; nothing here knows a use case.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.alerts.intake import AlertIntake
from bot.config import Settings
from bot.containment.mlflow import Registry
from bot.incidents.permissions import Actor, Policy
from bot.slack.background import Background
from bot.slack.responders import Responders
from bot.store.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    client: WebClient
    background: Background
    alerts: AlertIntake
    responders: Responders

    @property
    def policy(self) -> Policy:
        return Policy(self.settings.responders)

    @property
    def registry(self) -> Registry | None:
        """The MLflow registry client, when INCIDENTBOT_MLFLOW_URL is set (made on first use)."""
        if not self.settings.mlflow_url:
            return None
        made = self.__dict__.get("_registry")
        if made is None:
            made = self.__dict__["_registry"] = Registry(
                self.settings.mlflow_url, self.settings.mlflow_token, self.settings.mlflow_alias
            )
        return made

    def actor(self, user: str) -> Actor:
        """``user`` as the permission policy sees them (asks Slack about the responders
        group at most once a minute: call outside a database transaction)."""
        return self.responders.actor(user)


def from_context(context: BoltContext) -> Services:
    """The services ``bot.slack.app`` put in every request's Bolt context."""
    return context["services"]  # type: ignore[no-any-return]
