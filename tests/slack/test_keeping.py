"""Every request from Slack is stored before its acknowledgement, run once, refused when
replayed to any replica, and dispatched again by another replica after a crash.

Two sets of services on one database stand for two replicas; requests are signed and
dispatched through the bot's own Bolt app, as the web layer does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest
from sqlalchemy import select, update

from bot.app.compose import build_services
from bot.app.services import Services
from bot.incidents.declare import Declaration, declare
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.outbox import received
from bot.sandbox import SlackStandIn
from bot.slack.blocks.summary import ROLE_SELECT_PREFIX
from bot.slack.listeners import keeping
from bot.slack.listeners.bolt import build_app
from bot.slack.webapi.client import make_client
from bot.store.models import Incident, ReceivedRequest, TimelineEvent, utcnow
from tests.conftest import ALICE, BOB


@pytest.fixture
def replicas(services: Services, slack: SlackStandIn) -> Iterator[tuple[Any, Any]]:
    other = build_services(
        services.settings, services.db, make_client(services.settings, max_retries=0)
    )
    yield (services, build_app(services)), (other, build_app(other))
    other.background.shutdown()


@pytest.fixture
def channel(services: Services, slack: SlackStandIn) -> str:
    slack.add_user(ALICE, "alice")
    slack.add_user(BOB, "bob")
    with services.db.begin() as session:
        incident_id = declare(session, Declaration("Scorer drift", Severity.SEV2, ALICE)).id
    opened = services.provisioner.run(incident_id)
    assert opened.channel_id is not None
    slack.channels[opened.channel_id].members.add(BOB)
    return opened.channel_id


def _command(slack: SlackStandIn, text: str, channel: str) -> tuple[str, dict[str, str]]:
    prepared = slack.prepare_command(text, user=ALICE, channel=channel)
    return prepared.body.decode(), prepared.headers


def _event(slack: SlackStandIn, event_id: str) -> tuple[str, dict[str, str]]:
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0STANDIN",
            "event_id": event_id,
            "event": {"type": "app_mention", "user": ALICE, "text": "hi", "channel": "C1"},
        }
    )
    headers = slack.signed_headers(body.encode())
    headers["Content-Type"] = "application/json"
    return body, headers


def _send(app: Any, body: str, headers: dict[str, str]) -> Any:
    return app.dispatch(BoltRequest(body=body, headers=dict(headers)))


def _notes(services: Services) -> list[str]:
    with services.db.begin() as session:
        return list(
            session.scalars(select(TimelineEvent.text).where(TimelineEvent.kind == EventKind.NOTE))
        )


def _requests(services: Services) -> list[ReceivedRequest]:
    with services.db.begin() as session:
        return list(session.scalars(select(ReceivedRequest).order_by(ReceivedRequest.id)))


def test_a_command_is_stored_before_its_answer_and_run_once(
    replicas: tuple[Any, Any], slack: SlackStandIn, channel: str
) -> None:
    (services, app), _ = replicas
    body, headers = _command(slack, "note scorer rolled back", channel)
    answer = _send(app, body, headers)
    assert answer.status == 200
    [kept] = _requests(services)  # stored by the time the answer exists
    assert kept.kind == "command" and kept.body["text"] == "note scorer rolled back"
    services.background.shutdown()  # finish what was handed on
    assert _notes(services) == ["scorer rolled back"]
    [done] = _requests(services)
    assert done.done_at is not None and done.attempts == 1


def test_a_request_replayed_to_another_replica_is_refused_there(
    replicas: tuple[Any, Any], slack: SlackStandIn, channel: str
) -> None:
    (first, app_a), (second, app_b) = replicas
    body, headers = _command(slack, "note once only", channel)
    assert _send(app_a, body, headers).status == 200
    replayed = _send(app_b, body, headers)  # captured and sent again, to the other replica
    assert replayed.status == 200 and not replayed.body
    first.background.shutdown()
    second.background.shutdown()
    assert _notes(first) == ["once only"]
    assert len(_requests(first)) == 1


def test_an_event_slack_sends_again_newly_signed_is_taken_once(
    replicas: tuple[Any, Any], slack: SlackStandIn
) -> None:
    (services, app_a), (_, app_b) = replicas
    first = _event(slack, "Ev0ONCE")
    again = _event(slack, "Ev0ONCE")  # Slack's retry: same event, a new signature
    _send(app_a, *first)
    _send(app_b, *again)
    assert [r.kind for r in _requests(services)] == ["event"]


def _acknowledged_then_died(
    dead: Services,
    app: Any,
    slack: SlackStandIn,
    channel: str,
    text: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A replica acknowledges ``text`` and dies before its pool runs what it was handed;
    the grace for unclaimed requests then passes."""
    monkeypatch.setattr(
        dead.background, "submit", lambda fn, *args: received.adopt(lambda: fn(*args))
    )
    body, headers = _command(slack, text, channel)
    assert _send(app, body, headers).status == 200
    with dead.db.begin() as session:
        session.execute(
            update(ReceivedRequest).values(received_at=utcnow() - timedelta(seconds=30))
        )


def test_work_a_dead_replica_took_is_run_by_another_once(
    replicas: tuple[Any, Any],
    slack: SlackStandIn,
    channel: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (dead, app_a), (alive, app_b) = replicas
    _acknowledged_then_died(dead, app_a, slack, channel, "note survived a crash", monkeypatch)
    assert _notes(dead) == []
    assert keeping.dispatch_again(alive, app_b) == 1
    alive.background.shutdown()
    assert _notes(alive) == ["survived a crash"]
    assert keeping.dispatch_again(alive, app_b) == 0  # done: never again


def test_a_request_dispatched_again_while_the_pool_is_full_waits_for_a_later_sweep(
    replicas: tuple[Any, Any],
    slack: SlackStandIn,
    channel: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (dead, app_a), (alive, app_b) = replicas
    _acknowledged_then_died(
        dead, app_a, slack, channel, "note kept through a busy moment", monkeypatch
    )
    # The replica that takes it up is busy: nothing is done, and nothing is lost.
    monkeypatch.setattr(alive.background, "has_room", lambda: False)
    assert keeping.dispatch_again(alive, app_b) == 1
    alive.journal.settle()  # a wrongful "done" would be committed by now
    assert _notes(alive) == []
    assert [r.done_at for r in _requests(alive)] == [None]
    monkeypatch.setattr(alive.background, "has_room", lambda: True)
    assert keeping.dispatch_again(alive, app_b) == 1
    alive.background.shutdown()
    assert _notes(alive) == ["kept through a busy moment"]


def test_a_click_is_kept_and_its_change_marks_it_done(
    replicas: tuple[Any, Any], slack: SlackStandIn, channel: str
) -> None:
    (services, app), _ = replicas
    with services.db.begin() as session:
        incident = session.scalar(select(Incident).where(Incident.channel_id == channel))
        assert incident is not None and incident.summary_ts is not None
        summary_ts = incident.summary_ts
    message = next(m for m in slack.channels[channel].messages if m["ts"] == summary_ts)
    payload = {
        "type": "block_actions",
        "user": {"id": ALICE, "username": "alice", "team_id": "T0STANDIN"},
        "team": {"id": "T0STANDIN"},
        "container": {"type": "message", "message_ts": summary_ts, "channel_id": channel},
        "channel": {"id": channel},
        "message": message,
        "response_url": slack.new_response_url()[1],
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "users_select",
                "action_id": f"{ROLE_SELECT_PREFIX}{Role.ML_LEAD.value}",
                "block_id": "roles",
                "selected_user": BOB,
                "action_ts": "1.0",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = slack.signed_headers(body.encode())
    assert _send(app, body, headers).status == 200
    assert [r.kind for r in _requests(services)] == ["action"]
    services.background.shutdown()
    with services.db.begin() as session:
        incident = session.scalar(select(Incident).where(Incident.channel_id == channel))
        assert incident is not None and incident.holder(Role.ML_LEAD) == BOB
    [done] = _requests(services)
    assert done.done_at is not None
