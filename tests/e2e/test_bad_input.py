"""Bad input gets a specific answer only its author sees, and changes nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.sandbox import SlackStandIn
from tests.conftest import ALICE, BOB, CARA, DATABASES, running_bot, workspace
from tests.e2e.helpers import stored_counts
from tests.support import BotProcess, fresh_database

# Every test here is refused and changes nothing, so they share one bot, one stand-in
# and one database (on one worker), and each still finds nothing stored and nothing
# sent: the refusals before it did not change that either.
pytestmark = pytest.mark.xdist_group("e2e-bad-input")


@pytest.fixture(scope="module", params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with fresh_database(request.param) as url:
        yield url


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackStandIn]:
    with workspace() as standin:
        yield standin


@pytest.fixture(scope="module")
def general(slack: SlackStandIn) -> str:
    return slack.add_channel("general", members={ALICE, BOB, CARA})


@pytest.fixture(scope="module")
def bot(
    slack: SlackStandIn, database_url: str, request: pytest.FixtureRequest
) -> Iterator[BotProcess]:
    broadcast = slack.add_channel("incidents", members={ALICE, BOB})
    with running_bot(slack, database_url, request, INCIDENTBOT_BROADCAST_CHANNEL=broadcast) as bot:
        yield bot


def later_work_done(bot: BotProcess, channel: str) -> None:
    """Wait for a later command's answer: work the bot took before it shows by then."""
    bot.command("list", user=ALICE, channel=channel).wait_reply()


def test_refused_in_the_acknowledgement(bot: BotProcess, slack: SlackStandIn, general: str) -> None:
    """Through Slack's HTTP; every refusal the parser gives is checked in-process, in
    tests/slack/test_listeners.py."""
    result = bot.command("declare sev9 Model is down", user=ALICE, channel=general)
    assert result.http.status_code == 200
    body = result.ack_message
    assert "`sev9` is not a severity. Use sev1 (critical)" in body["text"]
    assert body.get("response_type", "ephemeral") == "ephemeral"
    later_work_done(bot, general)
    assert not slack.calls_to("conversations.create")
    assert not result.replies()
    assert stored_counts(bot.database_url) == (0, 0)


@pytest.mark.parametrize("subcommand", ["status", "role ml-lead <@U0CARA003|cara>", "resolve"])
def test_incident_commands_outside_an_incident_channel(
    bot: BotProcess, slack: SlackStandIn, general: str, subcommand: str
) -> None:
    result = bot.command(subcommand, user=ALICE, channel=general)
    assert result.http.status_code == 200
    reply = result.wait_reply()
    name = subcommand.split()[0]
    assert f"`/incident {name}` works inside an incident channel" in reply["text"]
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    assert not slack.calls_to("chat.postMessage")
    assert stored_counts(bot.database_url) == (0, 0)


@pytest.mark.parametrize(
    ("secret", "skew"),
    [
        ("not-the-signing-secret", 0),
        (None, -6 * 60),  # Slack's window is five minutes either way
        (None, +6 * 60),
    ],
    ids=["wrong-secret", "stale", "from-the-future"],
)
def test_requests_not_signed_by_slack_are_refused(
    bot: BotProcess, slack: SlackStandIn, general: str, secret: str | None, skew: int
) -> None:
    result = bot.command(
        "declare sev1 Forged incident",
        user=ALICE,
        channel=general,
        secret=secret,
        timestamp=int(time.time()) + skew,
    )
    assert result.http.status_code == 401
    later_work_done(bot, general)
    assert not slack.calls_to("conversations.create")
    assert stored_counts(bot.database_url) == (0, 0)


def test_unsigned_requests_are_refused(bot: BotProcess) -> None:
    import httpx

    response = httpx.post(bot.url + "/slack/events", content=b"command=/incident&text=list")
    assert response.status_code == 401
