"""What the listeners and the alert intake need, built once at start-up and passed in."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.alerts.intake import AlertIntake
from bot.config import Settings
from bot.db import Database
from bot.incidents.permissions import Actor, Policy
from bot.registry import Registry
from bot.slack.background import Background
from bot.slack.flows.channel_setup import Provisioner
from bot.slack.responders import Responders


@dataclass
class Services:
    settings: Settings
    db: Database
    client: WebClient
    provisioner: Provisioner
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

    @classmethod
    def build(cls, settings: Settings, db: Database, client: WebClient) -> Services:
        from bot.slack.flows import alerts as alerts_flow

        responders = Responders(client, settings.responders)
        provisioner = Provisioner(db=db, client=client, settings=settings, responders=responders)
        services: Services
        intake = AlertIntake(
            db,
            settings.alert_policy,
            settings.broadcast_channel,
            alerts_flow.reporter,
            lambda outcome: alerts_flow.after(services, outcome),
        )
        services = cls(settings, db, client, provisioner, Background(), intake, responders)
        return services
