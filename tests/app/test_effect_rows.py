"""Rows as stored: work an earlier release owed (a kind name and a payload dict) is still
performed, decoded into its dataclass; a row no class can hold dies at once, said why."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import effects
from bot.app.effect_kinds import DeadNotice, Post
from bot.app.services import Services
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.store.models import SlackEffect, utcnow


def _incident(services: Services, channel: str) -> int:
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer drift", Severity.SEV3, "U1"))
        incident.channel_id = channel
        incident.provisioned_at = utcnow()
        return incident.id


def test_rows_written_by_the_old_code_are_performed(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-old", members={"UBOTINCIDENT"})
    slack.add_user("U3", "casey")
    incident_id = _incident(services, channel)
    with services.db.begin() as session:  # as the code before the dataclasses wrote them
        for kind, payload, key in [
            ("post", {"channel": channel, "text": "owed before"}, f"channel:{channel}"),
            ("message", {"text": "with blocks", "blocks": None}, f"channel:{channel}"),
            ("invite", {"user": "U3"}, None),  # no channel: the incident's own
            ("bookmark", {"title": "Runbook", "link": "https://example.com/r"}, None),
        ]:
            session.add(
                SlackEffect(incident_id=incident_id, kind=kind, payload=payload, order_key=key)
            )
    assert effects.drain(services, incident_id) == 4
    texts = [m["text"] for m in slack.channels[channel].messages]
    assert texts == ["owed before", "with blocks"]
    assert "U3" in slack.channels[channel].members
    assert [b["title"] for b in slack.channels[channel].bookmarks] == ["Runbook"]


def test_the_stored_row_is_the_dataclass_as_json(services: Services) -> None:
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer drift", Severity.SEV3, "U1"))
        effects.enqueue(session, incident.id, Post(channel="C1", text="hello"))
    with services.db.begin() as session:
        (row,) = session.scalars(select(SlackEffect))
        assert (row.kind, row.payload) == (Post.kind, {"channel": "C1", "text": "hello"})


def test_a_row_no_class_can_hold_is_dead_at_once_with_the_reason(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-odd", members={"UBOTINCIDENT"})
    incident_id = _incident(services, channel)
    with services.db.begin() as session:
        for kind, payload in [
            ("teleport", {}),  # a kind from another release
            ("post", {"channel": channel}),  # a field missing
            ("post", {"channel": channel, "text": "x", "colour": "red"}),  # one unknown
            ("post", {"channel": channel, "text": 7}),  # of the wrong type
        ]:
            session.add(SlackEffect(incident_id=incident_id, kind=kind, payload=payload))
    effects.drain(services, incident_id)
    with services.db.begin() as session:
        rows = list(
            session.scalars(
                select(SlackEffect)
                .where(SlackEffect.kind != DeadNotice.kind)
                .order_by(SlackEffect.id)
            )
        )
    assert all(r.dead_at is not None and r.attempts == 1 for r in rows)
    errors = [r.last_error or "" for r in rows]
    assert "no performer for the Slack effect 'teleport'" in errors[0]
    assert "missing fields ['text']" in errors[1]
    assert "unknown fields ['colour']" in errors[2]
    assert "wrong type: ['text']" in errors[3]
    # Each is told in the channel, the undecodable one by its stored name.
    said = [m["text"] for m in slack.channels[channel].messages]
    assert any("Could not teleport" in text for text in said)
