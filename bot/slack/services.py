"""What the Slack listeners need, built once at start-up and passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.config import Settings
from bot.db import Database
from bot.slack.provision import Provisioner


@dataclass
class Services:
    settings: Settings
    db: Database
    client: WebClient
    provisioner: Provisioner

    @classmethod
    def build(cls, settings: Settings, db: Database, client: WebClient) -> Services:
        return cls(settings, db, client, Provisioner(db=db, client=client, settings=settings))
