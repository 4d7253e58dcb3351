"""Socket Mode end to end: the bot opens Slack's WebSocket (the stand-in's, on 127.0.0.1),
takes a slash command, a click and an event over it, and when the connection drops
mid-incident it opens a new one and carries on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox import SlackStandIn
from bot.sandbox.acting import SOCKET
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import pick_for_role, stored_incidents, timeline_kinds
from tests.support import BotProcess, fresh_database


@pytest.fixture
def database_url() -> Iterator[str]:
    """The transport is under test, not the storage: SQLite is enough."""
    with fresh_database("sqlite") as url:
        yield url


def test_commands_clicks_and_events_over_the_socket_and_a_reconnect(
    slack: SlackStandIn, database_url: str, broadcast: str, general: str
) -> None:
    socket = slack.socket_mode()
    bot = BotProcess(
        slack,
        database_url,
        args=("--socket-mode",),
        SLACK_APP_TOKEN=slack.app_token,
        INCIDENTBOT_BROADCAST_CHANNEL=broadcast,
    )
    bot.migrate()
    bot.start()
    try:
        socket.wait_connected(1)
        # A slash command: acknowledged over the socket, then worked on.
        declared = slack.command(
            SOCKET, "declare sev2 Socket scorer drift", user=ALICE, channel=general
        )
        assert declared.ack_text.startswith("Declaring a SEV2 incident")
        assert declared.wait_reply()["text"].startswith("Declared INC-1")
        incident = stored_incidents(database_url)[0]
        channel = slack.channels[incident.channel_id]
        channel.members.update({ALICE, BOB})

        # A click: Bob takes Commander with the summary's picker.
        pick_for_role(slack, SOCKET, channel, "commander", BOB, by=ALICE)
        slack.wait_for(lambda: f"Commander: <@{BOB}>" in channel.topic, what="Bob as Commander")

        # An event: a :pushpin: puts a message on the timeline.
        ts = slack.say(BOB, channel.id, "the feature store lagged 40 minutes")
        slack.react(SOCKET, user=BOB, channel=channel.id, ts=ts)
        slack.wait_for(
            lambda: "pinned_message" in timeline_kinds(database_url, incident.id),
            what="the pinned message",
        )

        # The connection drops mid-incident: the bot opens a new one and carries on.
        opened_before = len(slack.calls_to("apps.connections.open"))
        socket.drop()
        socket.wait_connected(2)
        assert len(slack.calls_to("apps.connections.open")) > opened_before
        slack.command(SOCKET, "note reconnected and still here", user=BOB, channel=channel.id)
        slack.wait_for(
            lambda: [m for m in channel.messages if "reconnected and still here" in m["text"]],
            what="the note after the reconnect",
        )
    except AssertionError:
        print(f"--- incidentbot log ---\n{bot.logs()[-6000:]}")
        raise
    finally:
        bot.stop()
