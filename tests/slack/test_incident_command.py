"""``/incident`` through the bot's own Bolt app: its text is parsed once per request
(the journal's filter parses, the listener reuses it, the work receives it), and a
request dispatched again after a crash parses again and still runs."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt import BoltRequest
from sqlalchemy import select

from bot.app.services import Services
from bot.incidents.kinds import EventKind
from bot.sandbox import SlackStandIn
from bot.slack.listeners.bolt import build_app
from bot.slack.listeners.commands import incident_command, subcommands
from bot.store.models import Incident, TimelineEvent
from tests.conftest import ALICE


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts parsed, in order."""
    seen: list[str] = []

    def counted(text: str, features: frozenset[str] = frozenset()) -> Any:
        seen.append(text)
        return subcommands.parse(text, features)

    monkeypatch.setattr(incident_command, "parse", counted)
    return seen


def _send(app: Any, slack: SlackStandIn, text: str, channel: str) -> Any:
    prepared = slack.prepare_command(text, user=ALICE, channel=channel)
    return app.dispatch(BoltRequest(body=prepared.body.decode(), headers=dict(prepared.headers)))


def test_a_declaration_is_parsed_once_from_the_filter_to_the_work(
    services: Services, slack: SlackStandIn, parses: list[str]
) -> None:
    slack.add_user(ALICE, "alice")
    general = slack.add_channel("general", members={ALICE})
    answer = _send(build_app(services), slack, "declare sev2 Scorer drifted overnight", general)
    assert answer.status == 200 and "Declaring a SEV2 incident" in answer.body
    services.background.shutdown()  # the work runs with the parse it was handed
    assert parses == ["declare sev2 Scorer drifted overnight"]
    with services.db.begin() as session:
        assert session.scalars(select(Incident.title)).all() == ["Scorer drifted overnight"]


@pytest.mark.parametrize("text", ["help", "help drift", "declare sev9 Model down", "frobnicate"])
def test_what_is_answered_in_the_acknowledgement_is_parsed_once(
    services: Services, slack: SlackStandIn, parses: list[str], text: str
) -> None:
    answer = _send(build_app(services), slack, text, "C0GENERAL")
    assert answer.status == 200 and answer.body
    assert parses == [text]


def test_a_listener_called_alone_parses_for_itself(
    services: Services, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parse stashed for another request's body is not taken for this one."""
    incident_command.may_need_work({"text": "help"})
    acks: list[dict[str, Any]] = []
    command = {"text": "declare sev9 x", "user_id": ALICE, "channel_id": "C0GENERAL"}
    incident_command.on_command(lambda **a: acks.append(a), command, {"services": services})
    assert parses == ["help", "declare sev9 x"]
    assert "`sev9` is not a severity" in acks[0]["text"]


def test_a_note_runs_in_its_incident_channel(
    services: Services, slack: SlackStandIn, parses: list[str]
) -> None:
    from bot.incidents.declare import Declaration, declare
    from bot.incidents.severity import Severity

    slack.add_user(ALICE, "alice")
    with services.db.begin() as session:
        incident_id = declare(session, Declaration("Scorer drift", Severity.SEV2, ALICE)).id
    opened = services.provisioner.run(incident_id)
    assert opened.channel_id is not None
    _send(build_app(services), slack, "note feature store lagged", opened.channel_id)
    services.background.shutdown()
    assert parses == ["note feature store lagged"]
    with services.db.begin() as session:
        notes = session.scalars(
            select(TimelineEvent.text).where(TimelineEvent.kind == EventKind.NOTE)
        ).all()
    assert notes == ["feature store lagged"]
