"""The sandbox's workspace as a newcomer finds it: a few people to play an incident
team with, a guest (whom apps may not invite), and the channels the bot announces in."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.acting import BOT_USER
from bot.sandbox.slack_api import SlackStandIn


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    email: str
    guest: bool = False


DEMO_PEOPLE = (
    Person("U0ALICE01", "alice", "alice@example.com"),
    Person("U0BOB0002", "bob", "bob@example.com"),
    Person("U0CARA003", "cara", "cara@example.com"),
    Person("U0DAN0004", "dan", "dan@example.com"),
    Person("U0GUEST05", "gus", "gus@partner.example.com", guest=True),
)
# Where people talk, where incidents are announced, where drills are.
CHANNELS = ("general", "incidents", "incident-drills", "ml-platform")


def furnish(slack: SlackStandIn) -> None:
    """Add the demo people and channels (every person in each; the bot in #incidents,
    where it announces)."""
    for person in DEMO_PEOPLE:
        slack.add_user(person.user_id, person.name, email=person.email, guest=person.guest)
    everyone = {p.user_id for p in DEMO_PEOPLE}
    for name in CHANNELS:
        members = everyone | ({BOT_USER} if name == "incidents" else set())
        slack.add_channel(name, members=members)
