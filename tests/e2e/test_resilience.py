"""Slack failing, slowing down or refusing: nothing is lost and nothing is done twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import readable
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import stored_incidents
from tests.support import BotProcess


def backoff_passed(database_url: str) -> None:
    """The owed effects' retries come due now, as they would once their backoff had
    passed: the stored clock moved, not the test's."""
    from sqlalchemy import update

    from bot.store.db import Database
    from bot.store.models.base import utcnow
    from bot.store.models.work import SlackEffect

    db = Database(database_url)
    try:
        with db.begin() as session:
            owed = update(SlackEffect).where(
                SlackEffect.done_at.is_(None), SlackEffect.dead_at.is_(None)
            )
            session.execute(owed.values(due_at=utcnow()))
    finally:
        db.dispose()


# The database changes how this fails and recovers: it runs on both.
pytestmark = pytest.mark.both_databases


def incident_channels(slack: SlackStandIn) -> list[str]:
    return sorted(c.name for c in slack.channels.values() if c.name.startswith("inc-"))


def test_rate_limits_and_server_errors_are_retried(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    slack.fail_next("pins.add", count=2, status=503)
    slack.fail_next("conversations.setTopic", status=500)
    reply = bot.command("declare sev2 Forecasts 40% off", user=ALICE, channel=general)
    assert reply.wait_reply(timeout=20)["text"].startswith("Declared INC-1")
    channel = slack.channel_named(incident_channels(slack)[0])
    assert channel is not None and len(channel.pins) == 1 and channel.topic
    posted = slack.calls_to("chat.postMessage")
    assert [c["status"] for c in posted[:2]] == [429, 200]
    assert len(slack.channels[broadcast].messages) == 1


def test_names_taken_here_or_by_someone_else_get_the_next_suffix(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    name = f"inc-{datetime.now(UTC):%Y%m%d}-drift-on-feature-age"
    slack.add_channel(name)  # made by a person, outside the bot
    for user in (ALICE, BOB):
        bot.command("declare sev3 Drift on feature age", user=user, channel=general).wait_reply()
    assert incident_channels(slack) == [name, f"{name}-b", f"{name}-c"]
    refused = [c["error"] for c in slack.calls_to("conversations.create") if not c.get("ok")]
    assert set(refused) == {"name_taken"}


def test_concurrent_declarations_of_one_title_each_get_their_own_channel(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    results = []

    def declare() -> None:
        results.append(bot.command("declare sev1 Scorer returns NaN", user=ALICE, channel=general))

    threads = [threading.Thread(target=declare) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.http.status_code == 200 for r in results)
    replies = [r.wait_reply(timeout=30)["text"] for r in results]
    assert all(text.startswith("Declared INC-") for text in replies)
    names = incident_channels(slack)
    assert len(names) == len(set(names)) == 10
    incidents = stored_incidents(bot.database_url)
    assert len(incidents) == 10
    assert {i.channel_name for i in incidents} == set(names)
    assert all(i.provisioned_at for i in incidents)


def test_an_outage_mid_declaration_is_finished_after_a_restart(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    # The channel gets made, then Slack refuses every message post for a while.
    slack.fail_next("chat.postMessage", count=1000, status=200, error="fatal_error")
    result = bot.command(
        "declare sev1 Fraud model flags 40% of payments", user=ALICE, channel=general
    )
    reply = result.wait_reply(timeout=20)
    assert "INC-1 is declared and saved, but Slack did not let me finish" in reply["text"]
    [incident] = stored_incidents(bot.database_url)
    assert incident.channel_id and incident.summary_ts is None and incident.provisioned_at is None

    bot.stop()
    slack.clear_failures()
    bot.start()  # the first sweep runs at start-up

    slack.wait_for(
        lambda: stored_incidents(bot.database_url)[0].provisioned_at,
        timeout=20,
        what="the set-up to finish",
    )
    channel = slack.channels[incident.channel_id]
    assert incident_channels(slack) == [channel.name]  # no second channel
    assert len(channel.pins) == 1
    texts = [m["text"] for m in channel.messages]
    assert len([t for t in texts if t.startswith("INC-1 SEV1:")]) == 1  # one summary
    assert len([t for t in texts if t.startswith("Triage for INC-1")]) == 1  # one triage card
    assert len(slack.channels[broadcast].messages) == 1


@pytest.fixture
def strict_slack() -> Iterator[SlackStandIn]:
    """Slack with a tight limit on channel creation: two a second."""
    with SlackStandIn(rate_limits={"conversations.create": 2}, rate_window=1.0) as standin:
        standin.add_user(ALICE, "alice")
        yield standin


def test_a_burst_beyond_slacks_rate_limit_still_opens_every_channel(
    strict_slack: SlackStandIn, database_url: str
) -> None:
    general = strict_slack.add_channel("general", members={ALICE})
    bot = BotProcess(strict_slack, database_url)
    bot.migrate()
    bot.start()
    try:
        results = [
            bot.command(f"declare sev3 Burst incident {n}", user=ALICE, channel=general)
            for n in range(6)
        ]
        assert all(r.wait_reply(timeout=30)["text"].startswith("Declared") for r in results)
    finally:
        bot.stop()
    assert len(incident_channels(strict_slack)) == 6
    assert any(c["status"] == 429 for c in strict_slack.calls_to("conversations.create"))


def test_role_announcements_owed_during_an_outage_arrive_after_a_restart(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    bot.command(
        "declare sev2 Ranking model returns stale results", user=ALICE, channel=general
    ).wait_reply()
    [incident] = stored_incidents(bot.database_url)
    channel = slack.channels[incident.channel_id]
    for method in ("chat.update", "chat.postMessage", "chat.postEphemeral", "conversations.invite"):
        slack.fail_next(method, count=1000, status=200, error="fatal_error")
    bot.command(f"role ml-lead <@{BOB}|bob>", user=ALICE, channel=channel.id)
    slack.wait_for(
        lambda: (
            slack.calls_to("conversations.invite")[-1:]
            and slack.calls_to("conversations.invite")[-1].get("error") == "fatal_error"
        ),
        what="the invite to fail",
    )
    assert BOB not in channel.members

    bot.stop()
    slack.clear_failures()
    backoff_passed(bot.database_url)  # the first retry of a failed effect is due after 5 s
    bot.start()  # the sweep runs at start-up

    slack.wait_for(
        lambda: any("is now ML Lead" in m["text"] for m in channel.messages),
        timeout=20,
        what="the announcement",
    )
    assert BOB in channel.members
    summary = next(m for m in channel.messages if m["ts"] == channel.pins[0])
    assert f"*ML Lead*\n<@{BOB}>" in readable(summary["blocks"])
    slack.wait_for(
        lambda: any(m.get("ephemeral_to") == BOB for m in channel.messages),
        what="Bob's brief, the last effect owed",
    )
