"""The outbox engine on its own: a recording performer, an injected clock, a real database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import select

from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.outbox import engine as outbox
from bot.outbox.engine import Engine, Work
from bot.outbox.failures import Failure, sort
from bot.outbox.leases import lease_length
from bot.store.db import Database
from bot.store.models import SlackEffect, utcnow


def refusal(code: str, status: int = 200) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.invalid/api/x",
        req_args={},
        data={"ok": False, "error": code},
        headers={},
        status_code=status,
    )
    return SlackApiError(f"Slack said {code}", response)


@pytest.mark.parametrize(
    "code",
    ["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"],
)
def test_passing_failures_are_retried(code: str) -> None:
    assert sort(refusal(code)).retry
    assert sort(refusal("whatever", status=503)).retry and sort(TimeoutError()).retry
    assert sort(ConnectionResetError()).retry


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("invalid_blocks", "Slack refused the message's layout"),
        ("not_in_channel", "the bot is not a member of that channel"),
        ("is_archived", "the channel is archived"),
        ("channel_not_found", "Slack cannot find that channel"),
        ("user_is_restricted", "Slack refuses apps inviting guests"),
        ("missing_scope", "the app lacks a permission"),
        ("msg_too_long", "the message is longer than Slack allows"),
        ("invalid_something_new", "Slack answered invalid_something_new"),
    ],
)
def test_everything_else_is_final_and_said_in_words(code: str, words: str) -> None:
    failure = sort(refusal(code))
    assert not failure.retry and failure.code == code and words in failure.words


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Harness:
    """An engine whose performer fails as told, keyed by the payload's ``name``."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self.performed: list[str] = []
        self.dead: list[tuple[str, Failure]] = []
        self.failing: dict[str, BaseException] = {}
        self.during: Callable[[Work], None] | None = None
        self.engine = self.make()
        with db.begin() as session:
            self.incident = declare(session, Declaration("Outbox", Severity.SEV3, "U1")).id

    def make(self) -> Engine:
        return Engine(self.db, self._perform, self._dead, clock=self.clock)

    def _perform(self, work: Work) -> None:
        name = work.payload["name"]
        if self.during:
            self.during(work)
        if name in self.failing:
            raise self.failing[name]
        self.performed.append(name)

    def _dead(self, work: Work, failure: Failure) -> None:
        self.dead.append((work.payload["name"], failure))

    def owe(self, name: str, key: str | None = None, **extra: Any) -> int:
        with self.db.begin() as session:
            effect = SlackEffect(
                incident_id=self.incident,
                kind="post",
                payload={"name": name},
                order_key=key,
                due_at=self.clock(),
                created_at=self.clock(),
                **extra,
            )
            session.add(effect)
            session.flush()
            return effect.id

    def state(self, effect_id: int) -> SlackEffect:
        with self.db.begin() as session:
            effect = session.get(SlackEffect, effect_id)
            assert effect is not None
            return effect


@pytest.fixture
def harness(db: Database) -> Harness:
    return Harness(db, Clock())


def test_a_final_refusal_is_dead_at_once_and_holds_nothing_back(harness: Harness) -> None:
    invite = harness.owe("invite guest")
    harness.owe("post 1", "channel:C1")
    harness.owe("post 2", "channel:C1")
    harness.failing["invite guest"] = refusal("user_is_restricted")
    assert harness.engine.run_incident(harness.incident) == 2
    assert harness.performed == ["post 1", "post 2"]
    ((name, failure),) = harness.dead
    assert name == "invite guest" and failure.words == "Slack refuses apps inviting guests"
    dead = harness.state(invite)
    assert dead.dead_at is not None and dead.attempts == 1
    assert dead.error_code == "user_is_restricted" and dead.lease_until is None
    # Dead work stays dead: later drains do not try it again.
    assert harness.engine.run_incident(harness.incident) == 0 and len(harness.dead) == 1


def test_a_passing_failure_holds_back_its_channel_only_then_all_arrive_in_order(
    harness: Harness,
) -> None:
    harness.owe("C1 first", "channel:C1")
    harness.owe("C1 second", "channel:C1")
    harness.owe("C2 post", "channel:C2")
    harness.owe("invite")
    harness.failing["C1 first"] = refusal("ratelimited", status=429)
    assert harness.engine.run_incident(harness.incident) == 2
    assert harness.performed == ["C2 post", "invite"]
    assert harness.engine.run_incident(harness.incident) == 0  # not due yet: nothing jumps
    del harness.failing["C1 first"]
    harness.clock.advance(seconds=outbox.BACKOFF[0])
    assert harness.engine.run_incident(harness.incident) == 2
    assert harness.performed == ["C2 post", "invite", "C1 first", "C1 second"]
    assert harness.dead == []


def test_retryable_work_gives_up_after_the_give_up_time(harness: Harness) -> None:
    stuck = harness.owe("stuck", "channel:C1")
    harness.owe("behind", "channel:C1")
    harness.failing["stuck"] = refusal("service_unavailable", status=503)
    for _ in range(100):  # Slack stays down: back off, and back off again...
        harness.engine.run_incident(harness.incident)
        if harness.state(stuck).dead_at is not None:
            break
        harness.clock.advance(seconds=outbox.GIVE_UP.total_seconds() / 8)
    effect = harness.state(stuck)
    assert effect.dead_at is not None and effect.dead_at - effect.created_at >= outbox.GIVE_UP
    assert harness.performed == ["behind"]  # freed by its death, not before
    assert [name for name, _ in harness.dead] == ["stuck"]


def test_a_lease_is_renewed_while_the_work_runs_and_taken_over_once_it_lapses(
    harness: Harness,
) -> None:
    other = harness.make()  # a second process
    seen: list[int] = []

    def meanwhile(work: Work) -> None:
        if work.payload["name"] != "slow":
            return
        part = lease_length().total_seconds() * 0.75
        harness.clock.advance(seconds=part)  # the call sleeps out a long Retry-After...
        harness.engine.renewer.renew()
        harness.clock.advance(seconds=part)  # ...past the first lease, not the renewed one
        seen.append(other.run_incident(harness.incident))

    harness.during = meanwhile
    slow = harness.owe("slow")
    assert harness.engine.run_incident(harness.incident) == 1
    assert seen == [0] and harness.performed == ["slow"]  # performed once, not twice
    assert harness.state(slow).done_at is not None

    # A process killed mid-work stops renewing: its work is free one lease later.
    orphan = harness.owe(
        "orphan", lease_holder="killed", lease_until=harness.clock() + lease_length()
    )
    assert other.run_incident(harness.incident) == 0
    harness.clock.advance(seconds=lease_length().total_seconds() + 1)
    assert other.run_incident(harness.incident) == 1
    assert harness.state(orphan).done_at is not None


def test_pending_work_is_listed_in_id_order(db: Database, harness: Harness) -> None:
    ids = [harness.owe(f"w{i}") for i in range(3)]
    with db.begin() as session:
        listed = list(
            session.scalars(
                select(SlackEffect.id).where(outbox.pending_filter()).order_by(SlackEffect.id)
            )
        )
    assert listed == ids
