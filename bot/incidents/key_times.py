"""Key times of an incident, read off its timeline, and the Commander's corrections.

Every figure is measured from the first signal: time to detect is how long the
problem ran before someone declared it, time to resolve is how long it ran in
all. The timeline usually knows each time; when it is wrong (the model started
misbehaving an hour before the first alert), the Commander corrects it, the
correction is itself an event, and the latest correction wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.facts import PEOPLE_AT_WORK
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act, Actor, Policy
from bot.store.models import Incident, TimelineEvent, utcnow


class KeyTime(StrEnum):
    DETECTED = "detected"
    DECLARED = "declared"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    PAGED = "paged"
    PAGE_ACKNOWLEDGED = "page_acknowledged"
    # Serious-incident reporting: when the provider became aware (the assessment that said
    # serious, or a correction of it); the deadline to report runs from it.
    AWARE = "aware"

    @property
    def of_the_response(self) -> bool:
        """Whether the response's figures (the review's times to detect, acknowledge,
        mitigate, resolve) are counted from or to it; awareness only starts a report's
        deadline."""
        return self is not KeyTime.AWARE

    @property
    def label(self) -> str:
        return {
            "detected": "First signal",
            "declared": "Declared",
            "acknowledged": "Acknowledged",
            "mitigated": "Mitigated",
            "resolved": "Resolved",
            "paged": "On-call paged",
            "page_acknowledged": "Page acknowledged",
            "aware": "Provider aware",
        }[self.value]


# Which key times the Commander may move; "declared" is when the bot was told, a fact.
CORRECTABLE = (KeyTime.DETECTED, KeyTime.ACKNOWLEDGED, KeyTime.MITIGATED, KeyTime.RESOLVED)


@dataclass(frozen=True)
class Moment:
    which: KeyTime
    at: datetime | None
    source: str  # how it was found, for the reader: "alert fired", "corrected by <user>"
    corrected_by: str | None = None


@dataclass(frozen=True)
class Figure:
    label: str
    until: KeyTime
    duration: timedelta | None


@dataclass(frozen=True)
class KeyTimes:
    moments: dict[KeyTime, Moment]

    def __getitem__(self, which: KeyTime) -> Moment:
        return self.moments[which]

    def at(self, which: KeyTime) -> datetime | None:
        return self.moments[which].at

    def shown(self) -> list[KeyTime]:
        """The key times worth a line: the paging ones only for an incident that paged,
        awareness only for one assessed serious (with reporting on)."""
        paged = self.at(KeyTime.PAGED) is not None
        return [
            k
            for k in KeyTime
            if k in self.moments and (paged or k not in (KeyTime.PAGED, KeyTime.PAGE_ACKNOWLEDGED))
        ]

    def figures(self) -> list[Figure]:
        """Time to detect, acknowledge, mitigate and resolve, each from the first signal."""
        start = self.at(KeyTime.DETECTED)
        out = []
        for label, until in (
            ("Time to detect", KeyTime.DECLARED),
            ("Time to acknowledge", KeyTime.ACKNOWLEDGED),
            ("Time to mitigate", KeyTime.MITIGATED),
            ("Time to resolve", KeyTime.RESOLVED),
        ):
            end = self.at(until)
            duration = max(end - start, timedelta(0)) if start and end else None
            out.append(Figure(label, until, duration))
        paged, answered = self.at(KeyTime.PAGED), self.at(KeyTime.PAGE_ACKNOWLEDGED)
        if paged is not None:  # how long the on-call took to answer, from the page
            waited = max(answered - paged, timedelta(0)) if answered else None
            label = "Time from page to acknowledgement"
            out.append(Figure(label, KeyTime.PAGE_ACKNOWLEDGED, waited))
        return out


def derive(
    incident: Incident, events: Iterable[TimelineEvent], *, awareness: bool = False
) -> KeyTimes:
    """The key times the timeline shows, corrections applied; one pass over the events.
    ``awareness`` (serious-incident reporting is on): when the provider became aware is
    one of them while the latest assessment says serious."""
    declared = Moment(KeyTime.DECLARED, incident.declared_at, "declared")
    alert: datetime | None = None
    acknowledged: Moment | None = None
    mitigated: Moment | None = None
    resolved: Moment | None = None
    corrections: dict[KeyTime, Moment] = {}
    paged: Moment | None = None
    page_answered: Moment | None = None
    aware: Moment | None = None
    serious = False
    if incident.declared_by:
        acknowledged = Moment(KeyTime.ACKNOWLEDGED, incident.declared_at, "declared by a person")
    for event in events:
        kind = event.kind
        if kind == EventKind.ALERT_FIRED and (alert is None or event.occurred_at < alert):
            alert = event.occurred_at
        elif kind == EventKind.ALERTS_ALL_RESOLVED and mitigated is None:
            mitigated = Moment(KeyTime.MITIGATED, event.occurred_at, "every alert resolved")
        elif kind == EventKind.TRIAGE_ANSWERED and mitigated is None:
            if event.data.get("question") == "trend" and event.data.get("answer") == "better":
                mitigated = Moment(KeyTime.MITIGATED, event.occurred_at, "triage: getting better")
        elif kind == EventKind.MODEL_ROLLED_BACK and mitigated is None:
            said = f"rolled back {event.data.get('model')} to v{event.data.get('version')}"
            mitigated = Moment(KeyTime.MITIGATED, event.occurred_at, said)
        elif kind == EventKind.CONTAINMENT_RUN and mitigated is None and event.data.get("ok"):
            said = f"contained: {event.data.get('title')}"
            mitigated = Moment(KeyTime.MITIGATED, event.occurred_at, said)
        elif kind == EventKind.RESOLVED:
            resolved = Moment(KeyTime.RESOLVED, event.occurred_at, "resolved")
        elif kind == EventKind.PAGED and paged is None:
            paged = Moment(KeyTime.PAGED, event.occurred_at, f"paged {event.data.get('service')}")
        elif kind == EventKind.PAGE_ACKNOWLEDGED and page_answered is None:
            said = f"acknowledged by {event.data.get('by') or 'the on-call'}"
            page_answered = Moment(KeyTime.PAGE_ACKNOWLEDGED, event.occurred_at, said)
        elif kind == EventKind.SERIOUS_ASSESSED:
            serious = bool(event.data.get("serious"))
            if serious and aware is None:  # the clock keeps its first start
                aware = Moment(KeyTime.AWARE, event.occurred_at, "assessed serious")
        elif kind == EventKind.AWARENESS_CORRECTED and event.data.get("aware_at"):
            at = datetime.fromisoformat(event.data["aware_at"])
            aware = Moment(KeyTime.AWARE, at, "corrected", corrected_by=event.actor)
        elif kind == EventKind.KEY_TIME_CORRECTED:
            which = KeyTime(event.data["which"])
            at = datetime.fromisoformat(event.data["at"])
            corrections[which] = Moment(which, at, "corrected", corrected_by=event.actor)
        if (
            acknowledged is None
            and kind in PEOPLE_AT_WORK
            and event.actor
            and event.occurred_at >= incident.declared_at
        ):
            acknowledged = Moment(KeyTime.ACKNOWLEDGED, event.occurred_at, f"first {_said(kind)}")
    first = incident.detected_at or alert
    detected = (
        Moment(KeyTime.DETECTED, first, "alert fired")
        if first
        else Moment(KeyTime.DETECTED, incident.declared_at, "declared; no earlier signal known")
    )
    if resolved is None and incident.resolved_at is not None:
        resolved = Moment(KeyTime.RESOLVED, incident.resolved_at, "resolved")
    if mitigated is None and resolved is not None:
        mitigated = Moment(KeyTime.MITIGATED, resolved.at, "not recorded: taken as resolved")
    moments = {
        KeyTime.DETECTED: detected,
        KeyTime.DECLARED: declared,
        KeyTime.ACKNOWLEDGED: acknowledged or Moment(KeyTime.ACKNOWLEDGED, None, "not yet"),
        KeyTime.MITIGATED: mitigated or Moment(KeyTime.MITIGATED, None, "not yet"),
        KeyTime.RESOLVED: resolved or Moment(KeyTime.RESOLVED, None, "not yet"),
        KeyTime.PAGED: paged or Moment(KeyTime.PAGED, None, "nobody paged"),
        KeyTime.PAGE_ACKNOWLEDGED: page_answered
        or Moment(KeyTime.PAGE_ACKNOWLEDGED, None, "not yet" if paged else "nobody paged"),
    }
    moments.update(corrections)
    if awareness and serious and aware is not None:
        moments[KeyTime.AWARE] = aware
    return KeyTimes(moments)


def spoken(delta: timedelta | None) -> str:
    """A duration as people say it: "2 h 5 min", "40 s"; "not yet" for one still to come."""
    if delta is None:
        return "not yet"
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds // 60, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours else [])
    return " ".join([*parts, f"{minutes} min"] if minutes or not parts else parts)


def _said(kind: str) -> str:
    return kind.replace("_", " ")


def correct(
    session: Session,
    incident: Incident,
    current: KeyTimes,
    changes: dict[KeyTime, datetime],
    *,
    who: Actor,
    policy: Policy,
    reason: str = "",
    now: datetime | None = None,
) -> list[TimelineEvent]:
    """Record the Commander's corrections; refuses (and records nothing) unless ``who``
    may correct key times, or if any correction is impossible."""
    policy.check(Act.KEY_TIMES, incident, who)
    now = now or utcnow()
    proposed = {k: m.at for k, m in current.moments.items()}
    changed = {k: v for k, v in changes.items() if not _same_minute(v, proposed.get(k))}
    proposed.update(changed)
    problems = check_order(proposed, changed, resolved=not incident.is_open, now=now)
    if problems:
        raise InvalidInput(" ".join(problems))
    recorded = []
    for which, at in changed.items():
        previous = current.at(which)
        recorded.append(
            timeline.record(
                session,
                incident,
                EventKind.KEY_TIME_CORRECTED,
                f"{which.label} corrected to {at:%Y-%m-%d %H:%M} UTC"
                + (f": {reason}" if reason else ""),
                actor=who.user,
                which=which.value,
                at=at.isoformat(),
                previous=previous.isoformat() if previous else None,
                reason=reason or None,
            )
        )
    return recorded


def _same_minute(picked: datetime, known: datetime | None) -> bool:
    """Slack's date-time picker shows minutes: an untouched picker is not a correction."""
    return known is not None and abs(picked - known) < timedelta(minutes=1)


def check_order(
    times: dict[KeyTime, datetime | None],
    changed: Sequence[KeyTime] | dict[KeyTime, datetime],
    *,
    resolved: bool,
    now: datetime,
) -> list[str]:
    """What makes the key times impossible, one sentence each; empty when they are fine."""
    problems = []
    for which in changed:
        if which not in CORRECTABLE:
            problems.append(f"{which.label} is when the bot was told; it cannot be moved.")
        elif which is KeyTime.RESOLVED and not resolved:
            problems.append("The incident is not resolved yet, so there is no resolution time.")
        at = times.get(which)
        if at is not None and at > now + timedelta(minutes=1):
            problems.append(f"{which.label} cannot be in the future.")
    detected = times.get(KeyTime.DETECTED)
    if detected is not None:
        for later in (KeyTime.DECLARED, KeyTime.ACKNOWLEDGED, KeyTime.MITIGATED, KeyTime.RESOLVED):
            at = times.get(later)
            if at is not None and at < detected:
                problems.append(f"{later.label} cannot come before the first signal.")
    mitigated, resolved_at = times.get(KeyTime.MITIGATED), times.get(KeyTime.RESOLVED)
    if mitigated and resolved_at and mitigated > resolved_at:
        problems.append("Mitigated cannot come after resolved.")
    return list(dict.fromkeys(problems))


def of(session: Session, incident: Incident, *, awareness: bool = False) -> KeyTimes:
    return derive(incident, timeline.events(session, incident.id), awareness=awareness)
