"""The Slack outbox: owed calls survive Slack failures and keep their order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.app import effects
from bot.app.effect_kinds import Effect, Post, RedrawSummary
from bot.app.services import Services
from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.store.models import Incident, SlackEffect, utcnow


def owe(services: Services, *texts: str, channel: str, channel_made: bool = True) -> int:
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer drift", Severity.SEV3, "U1"))
        if channel_made:  # and the set-up finished
            incident.channel_id = channel
            incident.provisioned_at = utcnow()
        for text in texts:
            effects.enqueue(session, incident.id, Post(channel=channel, text=text))
        return incident.id


def pending(services: Services) -> list[SlackEffect]:
    with services.db.begin() as session:
        return list(
            session.scalars(
                select(SlackEffect).where(SlackEffect.done_at.is_(None)).order_by(SlackEffect.id)
            )
        )


def test_a_failing_effect_holds_back_the_ones_after_it_then_all_arrive_in_order(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-x", members={"UBOTINCIDENT"})
    incident_id = owe(services, "first", "second", channel=channel)
    slack.fail_next("chat.postMessage", status=200, error="fatal_error")

    assert effects.drain(services, incident_id) == 0
    waiting = pending(services)
    assert [(e.payload["text"], e.attempts) for e in waiting] == [("first", 1), ("second", 0)]
    assert waiting[0].due_at > utcnow() and "fatal_error" in (waiting[0].last_error or "")
    assert effects.drain(services) == 0  # not due yet: nothing jumps the queue
    assert slack.channels[channel].messages == []

    with services.db.begin() as session:  # time passes
        for effect in session.scalars(select(SlackEffect)):
            effect.due_at = utcnow()
    assert effects.drain(services) == 2
    assert [m["text"] for m in slack.channels[channel].messages] == ["first", "second"]
    assert pending(services) == []


def test_effects_wait_until_the_incident_has_its_channel_and_summary(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-z", members={"UBOTINCIDENT"})
    incident_id = owe(services, "joined", channel=channel, channel_made=False)
    assert effects.drain(services, incident_id) == 0
    assert effects.drain(services) == 0
    assert [e.attempts for e in pending(services)] == [0]  # waiting, not failing
    with services.db.begin() as session:  # the set-up made the channel...
        session.execute(
            update(Incident).where(Incident.id == incident_id).values(channel_id=channel)
        )
    # ...but has not posted the summary yet: a drain now would put this above it (a
    # private move's "moved here" once came before the summary this way).
    assert effects.drain(services, incident_id) == 0
    assert slack.channels[channel].messages == []
    with services.db.begin() as session:
        session.execute(
            update(Incident).where(Incident.id == incident_id).values(provisioned_at=utcnow())
        )
    assert effects.drain(services) == 1
    assert [m["text"] for m in slack.channels[channel].messages] == ["joined"]


def test_unknown_effects_are_refused_when_written(services: Services) -> None:
    @dataclass(frozen=True)
    class Teleport(Effect):  # no kind of its own, in no table
        pass

    with pytest.raises(ValueError, match="unknown Slack effect"), services.db.begin() as s:
        effects.enqueue(s, 1, Teleport())


def test_a_redraw_before_the_summary_exists_posts_nothing(
    services: Services, slack: SlackStandIn
) -> None:
    channel = slack.add_channel("inc-y", members={"UBOTINCIDENT"})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer drift", Severity.SEV3, "U1"))
        incident.channel_id = channel  # channel made, summary not posted yet
        effects.enqueue(session, incident.id, RedrawSummary())
        incident_id = incident.id
    assert effects.drain(services, incident_id) == 0  # it waits for the set-up to finish
    assert slack.channels[channel].messages == []  # provisioning posts the one summary


def test_a_post_an_earlier_attempt_got_through_is_not_posted_again(
    services: Services, slack: SlackStandIn
) -> None:
    """A process posted, then died before recording it: the repeat finds its post."""
    channel = slack.add_channel("inc-once", members={"UBOTINCIDENT"})
    incident_id = owe(services, "posted once", "after it", channel=channel)
    first, second = pending(services)
    # What the dead process did: posted the first one (naming its work), recorded nothing.
    services.client.chat_postMessage(
        channel=channel,
        text="posted once",
        metadata={"event_type": "incidentbot_work", "event_payload": {"work": first.id}},
    )
    with services.db.begin() as session:  # and it held the lease, long lapsed now
        session.execute(
            update(SlackEffect)
            .where(SlackEffect.id == first.id)
            .values(lease_holder="killed", lease_until=utcnow() - timedelta(minutes=1))
        )
    assert effects.drain(services, incident_id) == 2
    assert [m["text"] for m in slack.channels[channel].messages] == ["posted once", "after it"]
    posted = [m["metadata"]["event_payload"]["work"] for m in slack.channels[channel].messages]
    assert posted == [first.id, second.id]  # every post names its work


def test_every_kind_of_work_the_code_owes_has_a_performer() -> None:
    """The table lists a performer for each kind; each effect enqueued anywhere in the
    bot is of a kind it lists (a kind it does not would be refused at enqueue)."""
    import ast
    from pathlib import Path

    import bot
    from bot.app import effect_kinds, effect_table

    owed: dict[str, str] = {}
    for path in Path(bot.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "enqueue"
                and len(node.args) >= 3
                and isinstance(node.args[2], ast.Call)
                and isinstance(node.args[2].func, ast.Name)
            ):
                owed[node.args[2].func.id] = f"{path.name}:{node.lineno}"
    assert len(owed) >= 15  # the scan found the flows' calls
    tabled = {cls.__name__ for cls in effect_table.TABLE}
    unknown = {name: where for name, where in owed.items() if name not in tabled}
    assert not unknown
    assert effect_table.kinds() == effects.kinds() == frozenset(effect_kinds.BY_KIND)
