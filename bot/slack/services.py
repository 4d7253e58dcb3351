"""What the listeners and the alert intake need, built once at start-up and passed in."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.alerts.intake import AlertIntake
from bot.config import Settings
from bot.db import Database
from bot.slack.background import Background
from bot.slack.provision import Provisioner


@dataclass
class Services:
    settings: Settings
    db: Database
    client: WebClient
    provisioner: Provisioner
    background: Background
    alerts: AlertIntake

    @classmethod
    def build(cls, settings: Settings, db: Database, client: WebClient) -> Services:
        from bot.slack.flows import alerts as alerts_flow

        provisioner = Provisioner(db=db, client=client, settings=settings)
        services: Services
        intake = AlertIntake(
            db,
            settings.alert_policy,
            settings.broadcast_channel,
            alerts_flow.reporter,
            lambda outcome: alerts_flow.after(services, outcome),
        )
        services = cls(settings, db, client, provisioner, Background(), intake)
        return services
