"""What the flows share: finding the incident a click or command is about, in one unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.app import effects
from bot.incidents import queries
from bot.incidents.errors import InvalidInput
from bot.outbox import received
from bot.slack.blocks.text import refusal
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident

if TYPE_CHECKING:
    from bot.app.services import Services

T = TypeVar("T")

NOT_AN_INCIDENT = (
    "This is not an incident channel (or the incident is gone). "
    "`/incident list` shows the open incidents."
)


def in_incident(
    services: Services, channel_id: str, change: Callable[[Session, Incident], T]
) -> tuple[int, T]:
    """Run ``change`` on the channel's incident in one transaction, holding its row.

    Raises InvalidInput when the channel has no incident. The row is locked before
    anything is read (``queries.lock``), so two changes at once run in turn and the
    second one's checks see the first one's result: one change and one clear refusal,
    never two changes that were each allowed only alone. A unique-constraint race
    (two people taking one role at once) is retried once against the winner's
    committed state, so the stored state is always one whole change.
    """
    with services.db.begin() as session:
        incident_id = queries.id_by_channel(session, channel_id)
    if incident_id is None:
        raise InvalidInput(NOT_AN_INCIDENT)
    for attempt in range(2):
        try:
            with services.db.begin() as session:
                incident = queries.lock(session, incident_id)
                if incident is None:
                    raise InvalidInput(NOT_AN_INCIDENT)
                result = change(session, incident)
                received.finish_current(session)  # the command that asked is done with it
                return incident.id, result
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def handled(
    services: Services, channel_id: str, change: Callable[[Session, Incident], T], reply: Reply
) -> tuple[int, T] | None:
    """``in_incident``, answering the person with the reason when it cannot be done."""
    try:
        return in_incident(services, channel_id, change)
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return None


def apply(
    services: Services, channel_id: str, change: Callable[[Session, Incident], T], reply: Reply
) -> T | None:
    """``handled``, then perform the Slack effects the change stored; None when refused."""
    done = handled(services, channel_id, change, reply)
    if done is None:
        return None
    effects.drain(services, done[0])
    return done[1]
