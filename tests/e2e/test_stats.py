"""``/incident stats`` in Slack: the review to the person who asks, or shared in a channel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.sandbox.reading import message_text
from bot.store.db import Database
from bot.store.models import ReceivedRequest
from tests.conftest import ALICE, BOB
from tests.review import story
from tests.review.story import at
from tests.support import BotProcess

LOUD = "<!here> ranker"  # a service name that would ping everyone if it were not escaped


def with_story(database_url: str) -> dict[str, int]:
    db = Database(database_url)
    try:
        ids = story.build(db)
        with db.begin() as session:
            for day in ("2026-09-01", "2026-09-02"):
                declare(
                    session,
                    Declaration("Ranker again", Severity.SEV3, declared_by=BOB, service=LOUD),
                    now=at(day, "10:00"),
                )
        return ids
    finally:
        db.dispose()


def said(message: dict[str, Any]) -> str:
    return message_text(message)


def test_stats_go_to_the_person_and_the_charts_to_their_messages(
    bot: BotProcess, slack: SlackStandIn, general: str, database_url: str
) -> None:
    ids = with_story(database_url)
    result = bot.command("stats 2026Q3", user=ALICE, channel=general)
    assert result.http.status_code == 200
    reply = result.wait_reply(timeout=60)
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    text = said(reply)
    assert "Incident review 2026Q3" in text
    assert "*7 incidents* (1 in 2026Q2), 3 still open" in text
    assert f"INC-{ids['C']} (SEV2)" in text and f"INC-{ids['B']} (SEV1)" in text
    assert "&lt;!here&gt; ranker 2" in text and "<!here>" not in text
    assert story.SECRET not in text and "support-llm" not in text and "onerror" not in text
    assert "incidentbot report --quarter 2026Q3" in text
    uploads = slack.wait_for(lambda: slack.direct_messages(ALICE), 60, "the charts in a DM")
    files = uploads[-1]["files"]
    assert sorted(f["name"] for f in files) == [
        "review-categories.png",
        "review-resolve.png",
        "review-weekly.png",
    ]
    assert slack.channels[general].messages == []  # nothing said in the channel


def test_share_posts_the_review_and_its_charts_in_the_channel(
    bot: BotProcess, slack: SlackStandIn, general: str, database_url: str
) -> None:
    with_story(database_url)
    bot.command("stats 2026Q3 --share --include-drills", user=ALICE, channel=general)
    channel = slack.channels[general]
    slack.wait_for(lambda: len(channel.files) == 3, 60, "the charts in the channel")
    summary = said(channel.messages[0])
    assert "*8 incidents*" in summary and "drills included (1)" in summary
    assert story.SECRET not in summary
    assert slack.direct_messages(ALICE) == []


def test_share_where_the_bot_cannot_be_says_so(
    bot: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    with_story(database_url)
    secret_room = slack.add_channel("secret-room", members={ALICE})
    slack.channels[secret_room].is_private = True
    result = bot.command("stats 2026Q3 --share", user=ALICE, channel=secret_room)
    assert "cannot share the review here" in result.wait_reply(timeout=60)["text"]
    assert slack.channels[secret_room].messages == []


def test_a_bad_period_is_refused_before_any_work(
    bot: BotProcess, slack: SlackStandIn, general: str, database_url: str
) -> None:
    for words, answer in (
        ("stats 2026Q7", "is not a quarter"),
        ("stats 2026-10-01", "not a quarter"),
        ("stats --loud", "is not an option of stats"),
        ("stats 2026-10-09 2026-10-01", "ends (2026-10-01) before it starts"),
    ):
        result = bot.command(words, user=ALICE, channel=general)
        assert answer in result.ack_text, (words, result.ack_text)
    # Refused in the acknowledgement: nothing was stored, so nothing runs after it.
    db = Database(database_url)
    try:
        with db.begin() as session:
            assert session.scalar(select(func.count()).select_from(ReceivedRequest)) == 0
    finally:
        db.dispose()
