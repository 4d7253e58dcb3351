"""What the Slack listeners need, built once at start-up and passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

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

    @classmethod
    def build(cls, settings: Settings, db: Database, client: WebClient) -> Services:
        provisioner = Provisioner(db=db, client=client, settings=settings)
        return cls(settings, db, client, provisioner, Background())
