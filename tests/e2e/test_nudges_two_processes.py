"""Two bot processes on one PostgreSQL database send each nudge once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import pairwise

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.models import TimelineEvent
from tests.conftest import ALICE
from tests.e2e.helpers import stored_incidents
from tests.e2e.test_status_updates import CADENCE, nudges
from tests.slack_standin import SlackStandIn
from tests.support import BotProcess, fresh_database, migrate


@pytest.fixture
def shared_database() -> Iterator[str]:
    with fresh_database("postgresql") as url:
        migrate(url)
        yield url


def test_each_nudge_is_sent_once_by_one_of_two_processes(
    slack: SlackStandIn, broadcast: str, general: str, shared_database: str
) -> None:
    env = {"INCIDENTBOT_BROADCAST_CHANNEL": broadcast, "INCIDENTBOT_STATUS_UPDATE_EVERY": CADENCE}
    bots = [BotProcess(slack, shared_database, **env).start() for _ in range(2)]
    try:
        bots[0].command("declare sev2 Ranker CTR down 15%", user=ALICE, channel=general)
        slack.wait_for(lambda: stored_incidents(shared_database), what="the incident")
        incident = slack.wait_for(
            lambda: (
                stored_incidents(shared_database)[0].channel_id
                and stored_incidents(shared_database)[0]
            ),
            what="its channel",
        )
        channel = slack.channels[incident.channel_id]
        time.sleep(9)  # sev2 nudges every 2 s here: about four
        sent = nudges(channel)
        assert 3 <= len(sent) <= 5, len(sent)
        db = Database(shared_database)
        try:
            with db.begin() as session:
                recorded = session.scalars(
                    select(TimelineEvent.occurred_at)
                    .where(TimelineEvent.kind == "update_nudged")
                    .order_by(TimelineEvent.occurred_at)
                ).all()
        finally:
            db.dispose()
        assert len(recorded) == len(sent)
        gaps = [(b - a).total_seconds() for a, b in pairwise(recorded)]
        assert all(gap >= 1.5 for gap in gaps), gaps  # never twice for one due time
    finally:
        for bot in bots:
            bot.stop()
