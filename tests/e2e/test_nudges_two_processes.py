"""Two bot processes on one PostgreSQL database send each nudge once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.sandbox import SlackStandIn
from bot.store.db import Database
from bot.store.models import TimelineEvent
from tests.conftest import ALICE
from tests.e2e.helpers import nudges, stored_incidents
from tests.support import BotProcess, fresh_database, migrate

CADENCE = "sev1=1s,sev2=1s,sev3=1s,sev4=0"


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
        slack.wait_for(lambda: len(nudges(channel)) >= 4, what="four nudges, a second apart")
        for bot in bots:
            bot.stop()  # nothing more is sent: what was sent can be counted
        sent = nudges(channel)
        db = Database(shared_database)
        try:
            with db.begin() as session:
                recorded = session.scalars(
                    select(TimelineEvent.data)
                    .where(TimelineEvent.kind == "update_nudged")
                    .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
                ).all()
        finally:
            db.dispose()
        assert len(recorded) == len(sent)
        # Each nudge follows the one before (1, 2, 3... unanswered): none sent twice.
        assert [d["unanswered"] for d in recorded] == list(range(1, len(sent) + 1))
    finally:
        for bot in bots:
            bot.stop()
