"""Asking for a role someone else holds: the request, its answer, its lapse.

The holder or the Commander answers (``permissions.Policy.check_consent``); a request
nobody answers lapses after ``WAIT``. Every function runs in the caller's transaction,
which holds the incident's row (``queries.lock``), so two answers run in turn and the
second finds the request decided.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.store.models import HandoverRequest, Incident, Reminder

WAIT = timedelta(minutes=10)
LAPSE = "handover_lapse"  # the reminder kind that closes requests nobody answered


def ask(
    session: Session,
    incident: Incident,
    role: Role,
    candidate: str,
    *,
    by: str,
    holder: str | None,
    now: datetime,
) -> HandoverRequest:
    """Store a request for ``candidate`` to take ``role`` from ``holder``."""
    if not incident.is_open:
        raise InvalidInput(f"{incident.reference} is resolved; its roles no longer change.")
    waiting = session.scalars(
        select(HandoverRequest).where(
            HandoverRequest.incident_id == incident.id,
            HandoverRequest.role == role.value,
            HandoverRequest.candidate == candidate,
            HandoverRequest.decision.is_(None),
            HandoverRequest.expires_at > now,
        )
    ).first()
    if waiting is not None:
        minutes = max(1, int((waiting.expires_at - now).total_seconds() // 60))
        raise InvalidInput(
            f"That hand-over has already been requested and is waiting for an answer "
            f"(it lapses in {minutes} min)."
        )
    request = HandoverRequest(
        incident_id=incident.id,
        role=role.value,
        candidate=candidate,
        requested_by=by,
        holder=holder,
        requested_at=now,
        expires_at=now + WAIT,
        channel_id=incident.channel_id,
    )
    session.add(request)
    session.add(Reminder(incident_id=incident.id, kind=LAPSE, due_at=request.expires_at))
    session.flush()
    timeline.record(
        session,
        incident,
        EventKind.HANDOVER_REQUESTED,
        f"@{by} asked for @{candidate} to take {role.info.title} from @{holder}",
        actor=by,
        when=now,
        role=role.value,
        user=candidate,
        holder=holder,
        request=request.id,
    )
    return request


def open_request(
    session: Session, incident: Incident, request_id: int, now: datetime
) -> HandoverRequest:
    """The request, still open; InvalidInput saying how it ended otherwise."""
    request = session.get(HandoverRequest, request_id)
    if request is None or request.incident_id != incident.id:
        raise InvalidInput("That hand-over request is not part of this incident.")
    if request.decision is None and now >= request.expires_at:
        lapse(request, now)
    if request.decision is not None:
        raise Closed(request)
    return request


class Closed(InvalidInput):
    """The request was answered or lapsed; ``say`` words it with the person as the
    caller writes people (a Slack mention, or plain ``@U…``)."""

    def __init__(self, request: HandoverRequest) -> None:
        self.decision = request.decision or ""
        self.decided_by = request.decided_by
        super().__init__(self.say(lambda user: f"@{user}"))

    def say(self, person: Callable[[str], str]) -> str:
        by = person(self.decided_by or "")
        said = {
            "handed_over": f"was agreed by {by}",
            "declined": f"was declined by {by}",
            "lapsed": f"lapsed after {int(WAIT.total_seconds() // 60)} minutes unanswered",
            "superseded": "no longer applies: the role changed hands meanwhile",
        }[self.decision]
        return f"That hand-over request {said}; ask again with `/incident role`."


def decide(request: HandoverRequest, decision: str, by: str | None, now: datetime) -> None:
    request.decision, request.decided_by, request.decided_at = decision, by, now


def lapse(request: HandoverRequest, now: datetime) -> None:
    decide(request, "lapsed", None, now)


def lapse_due(
    session: Session, incident: Incident, now: datetime, *, due_by: datetime | None = None
) -> list[HandoverRequest]:
    """Close, at ``now``, the incident's requests nobody answered in time (judged at
    ``due_by`` when given: the sandbox's skip ahead); returns them."""
    due = list(
        session.scalars(
            select(HandoverRequest).where(
                HandoverRequest.incident_id == incident.id,
                HandoverRequest.decision.is_(None),
                HandoverRequest.expires_at <= (due_by or now),
            )
        )
    )
    for request in due:
        lapse(request, now)
    return due
