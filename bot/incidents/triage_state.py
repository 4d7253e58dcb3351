"""Recording triage: answers, notes, proposals and their outcome, all on the timeline.

The current answers are read back from the timeline (the latest answer to each
question wins), so triage has no state of its own beyond the events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.change_severity import SeverityChange, change_severity
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act, Actor, Policy
from bot.incidents.severity import Severity
from bot.incidents.triage_questions import (
    BY_KEY,
    Assessment,
    Cause,
    NextStep,
    Proposal,
    answer_label,
    assess,
)
from bot.store.models import Incident, TimelineEvent

NOTE_MAX = 500
TRIAGE_KINDS = (EventKind.TRIAGE_ANSWERED, EventKind.TRIAGE_NOTE)


@dataclass(frozen=True)
class AnswerState:
    answer: str | None
    by: str | None
    at: datetime | None
    note: str | None = None


def _require_open(incident: Incident) -> None:
    if not incident.is_open:
        raise InvalidInput(f"{incident.reference} is resolved; its triage is closed.")


def current(session: Session, incident_id: int) -> dict[str, AnswerState]:
    """Each question's latest answer and note, from the timeline."""
    events = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident_id)
        .where(TimelineEvent.kind.in_(TRIAGE_KINDS))
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
    )
    state: dict[str, AnswerState] = {}
    for event in events:
        key = str(event.data.get("question"))
        before = state.get(key, AnswerState(None, None, None))
        if event.kind == EventKind.TRIAGE_ANSWERED:
            state[key] = AnswerState(
                str(event.data["answer"]), event.actor, event.occurred_at, before.note
            )
        else:
            state[key] = AnswerState(before.answer, before.by, before.at, event.text)
    return state


def answers_of(state: dict[str, AnswerState]) -> dict[str, str]:
    return {key: s.answer for key, s in state.items() if s.answer is not None}


def assessment(session: Session, incident: Incident) -> Assessment:
    return assess(answers_of(current(session, incident.id)), Severity(incident.severity))


def answer(
    session: Session, incident: Incident, question: str, value: str, *, by: str | None
) -> bool:
    """Record an answer; False when it repeats the current one (nothing recorded)."""
    _require_open(incident)
    asked = BY_KEY.get(question)
    if asked is None or value not in dict(asked.options):
        raise InvalidInput("That triage answer is not one of the offered choices.")
    previous = current(session, incident.id).get(question)
    if previous and previous.answer == value:
        return False
    timeline.record(
        session,
        incident,
        EventKind.TRIAGE_ANSWERED,
        f"Triage: {asked.text} {answer_label(question, value)}",
        actor=by,
        question=question,
        answer=value,
        previous=previous.answer if previous else None,
    )
    return True


def add_note(
    session: Session, incident: Incident, question: str, note: str, *, by: str | None
) -> None:
    _require_open(incident)
    if question not in BY_KEY:
        raise InvalidInput("That triage question does not exist.")
    text = note.strip()
    if not text:
        raise InvalidInput("The note is empty.")
    if len(text) > NOTE_MAX:
        raise InvalidInput(f"Keep the note to {NOTE_MAX} characters (it has {len(text)}).")
    timeline.record(session, incident, EventKind.TRIAGE_NOTE, text, actor=by, question=question)


def offered(session: Session, incident: Incident, ts: str, *, by: str | None) -> None:
    incident.triage_ts = ts
    timeline.record(session, incident, EventKind.TRIAGE_OFFERED, "Triage offered", actor=by, ts=ts)


def last_proposal(session: Session, incident_id: int) -> TimelineEvent | None:
    return session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident_id)
        .where(TimelineEvent.kind == EventKind.TRIAGE_PROPOSED)
        .order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc())
        .limit(1)
    ).first()


def _proposal_data(proposal: Proposal) -> dict[str, str | None]:
    return {
        "severity": proposal.severity.value,
        "next_step": proposal.next_step.value,
        "cause": proposal.cause.value,
        "category": proposal.category,
    }


def is_new(session: Session, incident: Incident, proposal: Proposal) -> bool:
    """False when the last recorded proposal said the same."""
    data = _proposal_data(proposal)
    last = last_proposal(session, incident.id)
    return last is None or {k: last.data.get(k) for k in data} != data


def propose(
    session: Session, incident: Incident, proposal: Proposal, ts: str | None = None
) -> bool:
    """Record a proposal unless the last one said the same; True when recorded. ``ts``:
    the message that shows it, so its buttons can be taken away once it is moot."""
    if not is_new(session, incident, proposal):
        return False
    data = _proposal_data(proposal)
    timeline.record(
        session,
        incident,
        EventKind.TRIAGE_PROPOSED,
        f"Triage proposes {proposal.severity.label}, next step: {proposal.next_step.value}, "
        f"cause: {proposal.cause.value}",
        reasons=list(proposal.reasons),
        severity=data["severity"],
        next_step=data["next_step"],
        cause=data["cause"],
        category=data["category"],
        ts=ts,
    )
    return True


def shown_proposal(session: Session, incident_id: int) -> tuple[Proposal, str] | None:
    """The newest proposal and the message showing it, when one was posted."""
    last = last_proposal(session, incident_id)
    if last is None or not last.data.get("ts"):
        return None
    data = last.data
    proposal = Proposal(
        Severity(str(data["severity"])),
        NextStep(str(data["next_step"])),
        Cause(str(data["cause"])),
        str(data["category"]) if data.get("category") else None,
        tuple(str(r) for r in data.get("reasons") or ()),
    )
    return proposal, str(data["ts"])


def accept(
    session: Session,
    incident: Incident,
    *,
    who: Actor,
    policy: Policy,
    proposed: str | None = None,
) -> SeverityChange:
    """Apply the latest proposal's severity (and its category if none is set yet).

    ``proposed`` is the severity the clicked proposal showed; a click on an
    older proposal that a newer one replaced is refused rather than applying
    something the person did not see.
    """
    policy.check(Act.PROPOSED_SEVERITY, incident, who)
    _require_open(incident)
    last = last_proposal(session, incident.id)
    if last is None:
        raise InvalidInput("There is no triage proposal to accept yet.")
    severity = Severity(str(last.data["severity"]))
    if proposed is not None and proposed != severity.value:
        raise InvalidInput(
            f"That proposal was replaced: triage now proposes {severity.label}. "
            "Accept the newest proposal further down the channel."
        )
    change = change_severity(session, incident, severity, who=who, policy=policy)
    category = last.data.get("category")
    if category and not incident.failure_category:
        incident.failure_category = str(category)
    timeline.record(
        session,
        incident,
        EventKind.TRIAGE_PROPOSAL_ACCEPTED,
        f"Triage proposal accepted: {severity.label}",
        actor=who.user,
        severity=severity.value,
        category=category,
    )
    return change


def decline(session: Session, incident: Incident, *, who: Actor, policy: Policy) -> None:
    policy.check(Act.PROPOSED_SEVERITY, incident, who)
    _require_open(incident)
    if last_proposal(session, incident.id) is None:
        raise InvalidInput("There is no triage proposal to decline.")
    timeline.record(
        session,
        incident,
        EventKind.TRIAGE_PROPOSAL_DECLINED,
        f"Triage proposal declined; severity stays {Severity(incident.severity).label}",
        actor=who.user,
    )
