"""The assessment and the reporting clock, on the incident's row.

Each function runs in the caller's transaction with the incident's row taken
(``queries.lock``), checks who may, changes the incident's :class:`SeriousCase` and
writes the timeline event beside it. Times come in as ``now``: nothing here reads
the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.categories import USUALLY_PRIVATE, category_label
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act, Actor, Policy
from bot.incidents.roles import Role
from bot.reporting import clock
from bot.reporting.regimes import CAUSAL_WORDS, Answers, Regime
from bot.store.models import Incident, SeriousCase, TimelineEvent

# What offers the assessment on its own.
OFFER_SEVERITIES = frozenset({"sev1", "sev2"})
OFFER_CATEGORIES = USUALLY_PRIVATE  # a fairness violation, harmful output, a data leak
REFERENCE_MAX = 200


def case_of(session: Session, incident_id: int) -> SeriousCase | None:
    return session.get(SeriousCase, incident_id)


def _case(session: Session, incident: Incident, regime: Regime) -> SeriousCase:
    found = session.get(SeriousCase, incident.id)
    if found is None:
        found = SeriousCase(incident_id=incident.id, regime=regime.name, answers={})
        session.add(found)
    return found


def speed(incident: Incident, drill_speed: float) -> float:
    """A drill's clock runs at drill speed; a real incident's at the wall's."""
    return drill_speed if incident.drill else 1.0


def answerer(incident: Incident) -> str | None:
    """Who the clock reminds: the Legal Liaison, the Commander while nobody holds it."""
    from bot.incidents.permissions import commander

    return incident.holder(Role.LEGAL_LIAISON) or commander(incident)


@dataclass(frozen=True)
class Assessed:
    serious: bool
    revised: bool  # it was assessed before, and "serious" changed
    due_at: datetime | None
    reason: str | None
    text: str  # what the timeline says


def _criteria_words(regime: Regime, answers: Answers) -> str:
    met = [c.label for c in answers.met(regime)]
    unknown = [
        c.label for c in regime.criteria if answers.criteria.get(c.key, "unknown") == "unknown"
    ]
    said = ", ".join(met) if met else "no criterion met"
    if unknown and not met:
        said += f" ({len(unknown)} not yet known)"
    return said


def assess(
    session: Session,
    incident: Incident,
    regime: Regime,
    answers: Answers,
    *,
    by: Actor,
    policy: Policy,
    now: datetime,
    drill_speed: float = 1.0,
) -> Assessed:
    """Record an assessment: serious (the clock starts, or its deadline moves) or not."""
    policy.check(Act.ASSESS, incident, by)
    case = _case(session, incident, regime)
    before = case.serious
    serious = answers.serious
    case.answers = answers.as_data()
    case.serious = serious
    case.assessed_at, case.assessed_by = now, by.user
    due_at = reason = None
    if serious:
        if case.aware_at is None:
            case.aware_at = now
        deadline = clock.deadline(regime, answers)
        due_at = deadline.due(case.aware_at, speed(incident, drill_speed))
        reason = deadline.reason
        case.due_at, case.deadline_days, case.deadline_reason = due_at, deadline.days, reason
        sent = case.complete_sent_at or case.initial_sent_at
        case.next_reminder_at = (
            None
            if sent
            else clock.next_reminder(case.aware_at, due_at, now, speed(incident, drill_speed))
        )
        text = (
            f"Assessed a serious incident under {regime.title}: "
            f"{_criteria_words(regime, answers)}; the report is due within "
            f"{deadline.days} days of awareness ({reason})"
        )
    else:
        case.due_at = None
        case.next_reminder_at = None
        text = (
            f"Assessed not serious under {regime.title} for now: {_criteria_words(regime, answers)}"
        )
    revised = before is not None and before != serious
    if revised:
        text = "Revised: " + text[0].lower() + text[1:]
    text += f". Causal link: {CAUSAL_WORDS.get(answers.causal, answers.causal)}"
    if answers.member_states:
        text += f"; Member States: {', '.join(answers.member_states)}"
    if answers.note:
        text += f". Note: {answers.note}"
    timeline.record(
        session,
        incident,
        EventKind.SERIOUS_ASSESSED,
        text,
        actor=by.user,
        when=now,
        regime=regime.name,
        serious=serious,
        previous=before,
        due_at=due_at.isoformat() if due_at else None,
        deadline_reason=reason,
        **answers.as_data(),
    )
    return Assessed(serious, revised, due_at, reason, text)


def correct_awareness(
    session: Session,
    incident: Incident,
    when: datetime,
    why: str,
    *,
    by: Actor,
    policy: Policy,
    now: datetime,
    drill_speed: float = 1.0,
) -> datetime:
    """Correct when the provider became aware; the deadline moves with it. Returns it."""
    policy.check(Act.AWARENESS, incident, by)
    case = case_of(session, incident.id)
    if case is None or not case.serious or case.aware_at is None or case.deadline_days is None:
        raise InvalidInput(
            f"{incident.reference} is not assessed serious: there is no awareness to correct. "
            "`/incident assess` first."
        )
    if when > now:
        raise InvalidInput("Awareness cannot be in the future.")
    if when < incident.declared_at - clock.DAY * 365:
        raise InvalidInput("That is more than a year before the incident was declared.")
    if not why.strip():
        raise InvalidInput(
            "Say why: `/incident assess aware 2026-12-07 09:10 legal learned of it from a "
            "customer complaint`."
        )
    was = case.aware_at
    case.aware_at = when
    case.due_at = clock.Deadline(case.deadline_days, case.deadline_reason or "").due(
        when, speed(incident, drill_speed)
    )
    if not (case.initial_sent_at or case.complete_sent_at):
        case.next_reminder_at = clock.next_reminder(
            when, case.due_at, now, speed(incident, drill_speed)
        )
    timeline.record(
        session,
        incident,
        EventKind.AWARENESS_CORRECTED,
        f"Awareness corrected from {was:%Y-%m-%d %H:%M} to {when:%Y-%m-%d %H:%M} UTC: "
        + why.strip(),
        actor=by.user,
        when=now,
        previous=was.isoformat(),
        aware_at=when.isoformat(),
        due_at=case.due_at.isoformat(),
        why=why.strip(),
    )
    return case.due_at


def record_sent(
    session: Session,
    incident: Incident,
    which: str,
    reference: str | None,
    *,
    by: Actor,
    policy: Policy,
    now: datetime,
) -> str:
    """Record that the initial or complete report went to the authority; says whether the
    deadline was met."""
    policy.check(Act.REPORT_SENT, incident, by)
    case = case_of(session, incident.id)
    if case is None or not case.serious or case.due_at is None:
        raise InvalidInput(
            f"{incident.reference} is not assessed serious: there is no report to send. "
            "`/incident assess` first."
        )
    if reference is not None and len(reference) > REFERENCE_MAX:
        raise InvalidInput(f"Keep the authority's reference to {REFERENCE_MAX} characters.")
    if which == "complete":
        if case.complete_sent_at is not None:
            raise InvalidInput(
                f"{incident.reference}'s complete report is recorded as sent already."
            )
        case.complete_sent_at, case.complete_sent_by = now, by.user
        case.complete_reference = reference
    else:
        if case.initial_sent_at is not None:
            raise InvalidInput(
                f"{incident.reference}'s initial report is recorded as sent already."
            )
        case.initial_sent_at, case.initial_sent_by = now, by.user
        case.initial_reference = reference
    first = min(t for t in (case.initial_sent_at, case.complete_sent_at) if t is not None)
    on_time = clock.met(case.due_at, first)
    case.next_reminder_at = None  # a report went: the clock is met (or late), not running
    # The deadline is for the first report; a complete one after an initial one on time
    # does not make it late.
    verdict = "on time" if on_time else "late"
    said = (
        f"The {which} report went to the authority {verdict}"
        + (f" (reference {reference})" if reference else "")
        + f"; it was due {case.due_at:%a %d %b %H:%M} UTC"
    )
    timeline.record(
        session,
        incident,
        EventKind.AUTHORITY_REPORT_SENT,
        said,
        actor=by.user,
        when=now,
        report=which,
        reference=reference,
        due_at=case.due_at.isoformat(),
        on_time=on_time,
    )
    return said


def due_reminders(session: Session, now: datetime, limit: int = 50) -> list[int]:
    """Claim the cases whose reminder is due: each moved past ``now`` by a conditional
    update, so one replica takes each. Returns their incidents."""
    rows = session.execute(
        select(SeriousCase.incident_id, SeriousCase.next_reminder_at)
        .where(SeriousCase.next_reminder_at.is_not(None), SeriousCase.next_reminder_at <= now)
        .limit(limit)
    ).all()
    claimed = []
    for incident_id, when in rows:
        taken = session.execute(
            update(SeriousCase)
            .where(SeriousCase.incident_id == incident_id, SeriousCase.next_reminder_at == when)
            .values(next_reminder_at=None)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount:  # type: ignore[attr-defined]
            claimed.append(incident_id)
    return claimed


def remind(
    session: Session, incident: Incident, now: datetime, drill_speed: float = 1.0
) -> tuple[str, str | None] | None:
    """The reminder for a claimed case (its words and whom it addresses), with the next one
    scheduled; None when nothing is owed any more."""
    case = case_of(session, incident.id)
    if (
        case is None
        or not case.serious
        or case.due_at is None
        or case.aware_at is None
        or case.initial_sent_at
        or case.complete_sent_at
    ):
        return None
    pace = speed(incident, drill_speed)
    case.next_reminder_at = clock.next_reminder(case.aware_at, case.due_at, now, pace)
    case.reminders_sent += 1
    words = clock.due_words(case.due_at, now, drill=bool(incident.drill))
    who = answerer(incident)
    said = f"Serious incident: {words}. `/incident authority-report initial` drafts it."
    timeline.record(
        session,
        incident,
        EventKind.REPORTING_REMINDED,
        f"Reminded: {words}",
        when=now,
        user=who,
        due_at=case.due_at.isoformat(),
    )
    return said, who


def offer_reason(incident: Incident, breached_fairness: bool) -> str | None:
    """Why the assessment is offered on its own, or None."""
    if incident.severity in OFFER_SEVERITIES:
        return f"{incident.reference} is {incident.severity.upper()}"
    if incident.failure_category in OFFER_CATEGORIES:
        label = category_label(incident.failure_category) or incident.failure_category
        return f"{incident.reference} is a case of {label.lower()}"
    if breached_fairness:
        return "a fairness finding breaches the four-fifths rule"
    return None


def offer_candidates(session: Session, limit: int = 20) -> list[tuple[Incident, str]]:
    """Open incidents with a channel, never offered the assessment, that call for it.

    Only incidents that may call for it are read (a paging severity, a category that does,
    or a fairness finding to look at): the many open incidents that never will do not
    fill the window and hide an older one that does."""
    offered = select(SeriousCase.incident_id).where(
        (SeriousCase.offered_at.is_not(None)) | (SeriousCase.assessed_at.is_not(None))
    )
    with_findings = select(TimelineEvent.incident_id).where(
        TimelineEvent.kind == EventKind.FAIRNESS_FOUND
    )
    incidents = session.scalars(
        select(Incident)
        .where(
            Incident.status != "resolved",
            Incident.provisioned_at.is_not(None),
            Incident.channel_id.is_not(None),
            Incident.id.not_in(offered),
            or_(
                Incident.severity.in_(OFFER_SEVERITIES),
                Incident.failure_category.in_(OFFER_CATEGORIES),
                Incident.id.in_(with_findings),
            ),
        )
        .order_by(Incident.id.desc())  # the newest first: they are the ones to offer
        .limit(200)
    ).all()
    reasons = {i.id: offer_reason(i, False) for i in incidents}
    unsaid = [i for i, reason in reasons.items() if reason is None]
    if unsaid:  # one query for the fairness findings of all the others
        breached = {
            incident_id
            for incident_id, data in session.execute(
                select(TimelineEvent.incident_id, TimelineEvent.data).where(
                    TimelineEvent.kind == EventKind.FAIRNESS_FOUND,
                    TimelineEvent.incident_id.in_(unsaid),
                )
            )
            if (data or {}).get("breached")
        }
        for incident in incidents:
            if incident.id in breached:
                reasons[incident.id] = offer_reason(incident, True)
    found = [(i, reason) for i in incidents if (reason := reasons[i.id])]
    return found[:limit]


def claim_offer(session: Session, incident: Incident, regime: Regime, now: datetime) -> bool:
    """Mark the assessment offered; False when another replica (or a person) was first."""
    case = _case(session, incident, regime)
    if case.offered_at is not None or case.assessed_at is not None:
        return False
    case.offered_at = now
    timeline.record(
        session,
        incident,
        EventKind.ASSESSMENT_OFFERED,
        "Serious-incident assessment offered",
        when=now,
    )
    return True


def clock_phrase(case: SeriousCase, incident: Incident, now: datetime) -> str:
    """The clock of a case assessed serious, in plain words, its reason after it. The
    deadline is met or missed by the first report sent; a complete one may follow."""
    assert case.due_at is not None, "only a case assessed serious has a clock"
    sent = [t for t in (case.initial_sent_at, case.complete_sent_at) if t is not None]
    words = clock.due_words(
        case.due_at,
        now,
        sent_at=min(sent) if sent else None,
        complete=case.complete_sent_at is not None,
        drill=bool(incident.drill),
    )
    if sent and case.complete_sent_at is None:
        words += "; the complete report is still to follow"
    return words + (f" ({case.deadline_reason})" if case.deadline_reason else "")


def clock_words(session: Session, incident: Incident, now: datetime) -> str | None:
    """The reporting clock in plain words, for surfaces without Slack's marks (the web
    console); None unless the incident was assessed serious."""
    case = case_of(session, incident.id)
    if case is None or not case.serious or case.due_at is None:
        return None
    return f"Serious incident: {clock_phrase(case, incident, now)}"
