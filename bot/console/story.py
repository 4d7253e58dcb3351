"""``/incidents/<number>``: one incident's whole story, read in a few indexed queries.

The timeline is shown a page at a time (an incident may have tens of thousands of
events) and filtered by kind; what the page lists beside it (drift findings,
containment, pages, action items) is read by kind through the (kind, incident, time)
index, never by walking the whole timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.console.listing import to_mitigate
from bot.incidents import timeline
from bot.incidents.categories import category_label
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind as K
from bot.incidents.notes import actions
from bot.incidents.permissions import Reader, reads
from bot.incidents.roles import listed
from bot.incidents.severity import Severity
from bot.paging import page_records
from bot.reporting import assessment
from bot.store.models import Incident, TimelineEvent, TrackedAction, utcnow
from bot.text import rendering
from bot.text.rendering import count
from bot.tracking import tickets

EVENTS_PER_PAGE = 200
# The timeline's filters: which kinds each shows.
KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "alerts": (
        "Alerts",
        frozenset(
            {
                K.ALERT_FIRED,
                K.ALERT_JOINED,
                K.ALERT_REFIRED,
                K.ALERT_RESOLVED,
                K.ALERTS_ALL_RESOLVED,
            }
        ),
    ),
    "triage": (
        "Triage",
        frozenset(
            {
                K.TRIAGE_OFFERED,
                K.TRIAGE_ANSWERED,
                K.TRIAGE_NOTE,
                K.TRIAGE_PROPOSED,
                K.RUNBOOK_OFFERED,
                K.RUNBOOK_ITEM_CHECKED,
                K.RUNBOOK_ITEM_UNCHECKED,
                K.DRIFT_FOUND,
                K.FAIRNESS_FOUND,
                K.MODEL_CARD,
            }
        ),
    ),
    "updates": ("Updates", frozenset({K.STATUS_UPDATE, K.UPDATE_NUDGED, K.ANNOUNCED})),
    "decisions": (
        "Decisions",
        frozenset(
            {
                K.DECLARED,
                K.SEVERITY_CHANGED,
                K.ROLE_ASSIGNED,
                K.ROLE_HANDED_OVER,
                K.HANDOVER_REQUESTED,
                K.HANDOVER_DECLINED,
                K.TRIAGE_PROPOSAL_ACCEPTED,
                K.TRIAGE_PROPOSAL_DECLINED,
                K.MADE_PRIVATE,
                K.MODEL_ROLLED_BACK,
                K.MODEL_ROLLBACK_UNDONE,
                K.CONTAINMENT_RUN,
                K.CONTAINMENT_UNDONE,
                K.KEY_TIME_CORRECTED,
                K.RESOLVED,
                K.PAGED,
                K.PAGE_ESCALATED,
                K.TITLE_SHARED,
            }
        ),
    ),
    "notes": (
        "Notes",
        frozenset(
            {
                K.NOTE,
                K.PINNED_MESSAGE,
                K.ACTION_ITEM,
                K.ACTION_ITEM_DONE,
                K.TICKET_FILED,
                K.TICKET_DECLINED,
                K.TRIAGE_NOTE,
            }
        ),
    ),
}
CONTAINMENT = (
    K.MODEL_ROLLED_BACK,
    K.MODEL_ROLLBACK_UNDONE,
    K.CONTAINMENT_RUN,
    K.CONTAINMENT_UNDONE,
)
PAGING = (K.PAGED, K.PAGE_ACKNOWLEDGED, K.PAGE_REASSIGNED, K.PAGE_ESCALATED, K.PAGE_RESOLVED)


class Unknown(InvalidInput):
    """No incident has that number."""


class Withheld(InvalidInput):
    """A private incident the viewer may not read; the sentence says what they may know."""


@dataclass
class Story:
    incident: Incident
    severity: str
    meaning: str
    roles: list[tuple[str, str | None]]
    category: str | None
    model: str | None
    to_mitigate: Any
    timeline: list[dict[str, Any]]
    kind: str
    counts: dict[str, int]
    page: int
    pages: int
    drift: list[dict[str, Any]]
    fairness: list[dict[str, Any]]
    containment: list[dict[str, Any]]
    paging: list[dict[str, Any]]
    page_events: list[dict[str, Any]]
    action_items: list[dict[str, Any]]
    people: set[str] = field(default_factory=set)
    reporting: str | None = None  # the serious-incident reporting clock, in words


def number_of(text: str) -> int:
    """``12`` or ``INC-12`` as an incident number, or Unknown."""
    cleaned = text.strip().upper().removeprefix("INC-")
    if not cleaned.isdigit() or len(cleaned) > 12:
        raise Unknown(f"“{text[:40]}” is not an incident number; incidents are INC-1, INC-2, …")
    return int(cleaned)


def find(session: Session, number: int, reader: Reader) -> Incident:
    incident = session.get(Incident, number)
    if incident is None:
        raise Unknown(f"There is no incident INC-{number}.")
    if not reads(incident, reader):
        severity = Severity(incident.severity).label
        state = "resolved" if not incident.is_open else "open"
        raise Withheld(
            f"INC-{number} is a private {severity} incident ({state}). Only the people in its "
            "channel, whoever declared it or holds a role in it, and the responders group can "
            "read it."
        )
    return incident


def read(
    session: Session,
    number: int,
    reader: Reader,
    *,
    kind: str = "",
    page: int = 1,
    reporting: bool = True,
    now: datetime | None = None,
) -> Story:
    """An incident's page as ``reader`` may see it. ``reporting``: serious-incident
    reporting is on (off, the clock is not shown, whatever was recorded while it was on);
    ``now``: the console's clock, for the deadline's words."""
    if kind and kind not in KINDS:
        raise InvalidInput(
            f"“{kind[:40]}” is not a kind of event; show {', '.join(KINDS)} or everything."
        )
    incident = find(session, number, reader)
    kinds = KINDS[kind][1] if kind else None
    counts = _counts(session, incident.id)
    shown = sum(counts.get(k, 0) for k in kinds) if kinds is not None else sum(counts.values())
    pages_in_all = max(1, -(-shown // EVENTS_PER_PAGE))
    if page > pages_in_all:
        raise InvalidInput(
            f"The timeline has {pages_in_all} page{'s' if pages_in_all != 1 else ''}"
            f"{' of these events' if kind else ''}; there is no page {page}."
        )
    query = select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)
    if kinds is not None:
        query = query.where(TimelineEvent.kind.in_(sorted(kinds)))
    events = list(
        session.scalars(
            query.order_by(TimelineEvent.occurred_at, TimelineEvent.id)
            .offset((page - 1) * EVENTS_PER_PAGE)
            .limit(EVENTS_PER_PAGE)
        )
    )
    by_kind = _of_kinds(
        session,
        incident.id,
        (K.DRIFT_FOUND, K.FAIRNESS_FOUND, *CONTAINMENT, *PAGING, K.KEY_TIME_CORRECTED),
    )
    items = actions(session, incident.id)
    tracked = tickets.of_incident(session, incident.id)
    people = {a.user_id for a in incident.roles} | {incident.declared_by or ""}
    for event in [*events, *by_kind, *(item for item, _ in items)]:
        if event.actor:
            people.add(event.actor)
        people.update(timeline.subjects(event))
        owner = (event.data or {}).get("owner") if event.kind == K.ACTION_ITEM else None
        if owner:
            people.add(str(owner))
    corrected = {
        str(e.data.get("which")): _aware(datetime.fromisoformat(str(e.data["at"])))
        for e in by_kind
        if e.kind == K.KEY_TIME_CORRECTED and e.data.get("at")
    }
    severity = Severity(incident.severity)
    return Story(
        incident=incident,
        severity=severity.label,
        meaning=severity.info.meaning_of(incident.is_open),
        roles=[  # as the topic says; the Legal Liaison only when someone holds it
            (role.info.title, incident.holder(role)) for role in listed(incident.holder, False)
        ],
        category=category_label(incident.failure_category),
        model=incident.registered_model or incident.service,
        to_mitigate=to_mitigate(incident, corrected),
        timeline=[_entry(e) for e in events],
        kind=kind,
        counts={name: sum(counts.get(k, 0) for k in ks) for name, (_, ks) in KINDS.items()}
        | {"": sum(counts.values())},
        page=page,
        pages=pages_in_all,
        drift=[_drift(e) for e in by_kind if e.kind == K.DRIFT_FOUND],
        fairness=[_fairness(e) for e in by_kind if e.kind == K.FAIRNESS_FOUND],
        reporting=(
            assessment.clock_words(session, incident, now or utcnow()) if reporting else None
        ),
        containment=_containment([e for e in by_kind if e.kind in CONTAINMENT]),
        paging=[_page(p) for p in page_records.of(session, incident.id)],
        page_events=[_entry(e) for e in by_kind if e.kind in PAGING],
        action_items=[
            {
                "text": str(item.data.get("item", "")),
                "owner": item.data.get("owner"),
                "due": item.data.get("due"),
                "done": done,
                "at": _aware(item.occurred_at),
                "ticket": _ticket(tracked.get(item.id)),
            }
            for item, done in items
        ],
        people={p for p in people if p},
    )


def _ticket(row: TrackedAction | None) -> dict[str, Any] | None:
    if row is None or row.ticket != "filed" or not row.ticket_key:
        return None
    url = row.ticket_url if (row.ticket_url or "").startswith(("https://", "http://")) else None
    return {"key": row.ticket_key, "url": url}


def finding(
    session: Session, number: int, event_id: int, reader: Reader, kind: str = K.DRIFT_FOUND
) -> dict[str, Any]:
    """One drift (or fairness) finding of an incident ``reader`` may read, or Unknown."""
    incident = find(session, number, reader)
    event = session.get(TimelineEvent, event_id)
    if event is None or event.incident_id != incident.id or event.kind != kind:
        what = "fairness" if kind == K.FAIRNESS_FOUND else "drift"
        raise Unknown(f"INC-{number} has no {what} finding {event_id}.")
    return _fairness(event) if kind == K.FAIRNESS_FOUND else _drift(event)


def _counts(session: Session, incident_id: int) -> dict[str, int]:
    rows = session.execute(
        select(TimelineEvent.kind, func.count())
        .where(TimelineEvent.incident_id == incident_id)
        .group_by(TimelineEvent.kind)
    )
    return {str(kind): int(n) for kind, n in rows}


def _of_kinds(session: Session, incident_id: int, kinds: Iterable[str]) -> list[TimelineEvent]:
    return list(
        session.scalars(
            select(TimelineEvent)
            .where(
                TimelineEvent.kind.in_(sorted(set(kinds))), TimelineEvent.incident_id == incident_id
            )
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
            .limit(2000)
        )
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _entry(event: TimelineEvent) -> dict[str, Any]:
    """An event as the page shows it; ``words`` is filled in once names are known."""
    return {
        "id": event.id,
        "at": _aware(event.occurred_at),
        "kind": event.kind,
        "label": timeline.label(event.kind),
        "actor": event.actor,
        "event": event,
        "link": (event.data or {}).get("permalink") if event.kind == K.PINNED_MESSAGE else None,
    }


def words(entry: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return rendering.one_line(timeline.plain(entry["event"], dict(names)))


def _drift(event: TimelineEvent) -> dict[str, Any]:
    data = event.data or {}
    return {
        "id": event.id,
        "at": _aware(event.occurred_at),
        "verdict": data.get("verdict") or event.text,
        "reference": data.get("reference"),
        "current": data.get("current"),
        "drifted": list(data.get("drifted") or []),
        "tested": data.get("tested"),
        "columns": list(data.get("columns") or []),
        "drifted_words": _drifted_words(data),
        "actor": event.actor,
    }


def _drifted_words(data: Mapping[str, Any]) -> str:
    """``1 of 1 column drifted``, ``2 of 12 columns drifted``."""
    drifted, tested = data.get("drifted") or [], data.get("tested")
    if not isinstance(tested, int):
        tested = len(data.get("columns") or [])
    return f"{len(drifted)} of {count(tested, 'column')} drifted"


def _fairness(event: TimelineEvent) -> dict[str, Any]:
    data = event.data or {}
    return {
        "id": event.id,
        "at": _aware(event.occurred_at),
        "verdict": data.get("verdict") or event.text,
        "reference": data.get("reference_data"),
        "current": data.get("current_data"),
        "breached": bool(data.get("breached")),
        "breakdowns": [
            {
                "group": b.get("group"),
                "parity": (b.get("current") or {}).get("demographic_parity_ratio"),
                "was": (b.get("reference") or {}).get("demographic_parity_ratio"),
                "rule": (b.get("current") or {}).get("four_fifths_rule"),
                "masked": bool(b.get("masked")),
            }
            for b in data.get("breakdowns") or []
        ],
        "actor": event.actor,
        "data": data,
    }


def _containment(events: list[TimelineEvent]) -> list[dict[str, Any]]:
    """Each move, and for a rollback whether (and when) it was undone."""
    moves: list[dict[str, Any]] = []
    for event in events:
        data = event.data or {}
        move = {
            "at": _aware(event.occurred_at),
            "kind": event.kind,
            "label": timeline.label(event.kind),
            "text": event.text,
            "actor": event.actor,
            "ok": bool(data.get("ok", True)),
            "reason": data.get("reason"),
            "undone_at": None,
        }
        if event.kind in (K.MODEL_ROLLBACK_UNDONE, K.CONTAINMENT_UNDONE):
            undone = next(
                (m for m in reversed(moves) if m["undone_at"] is None and _undoes(m, data)), None
            )
            if undone is not None:
                undone["undone_at"] = move["at"]
        move["data"] = data
        moves.append(move)
    return moves


def _undoes(move: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    done = move.get("data") or {}
    if move["kind"] == K.MODEL_ROLLED_BACK:
        return done.get("model") == data.get("model") and done.get("version") == data.get(
            "previous"
        )
    if move["kind"] == K.CONTAINMENT_RUN:
        return bool(done.get("lever")) and done.get("lever") == data.get("lever")
    return False


def _page(page: Any) -> dict[str, Any]:
    return {
        "provider": page.provider,
        "service": page.service_name,
        "status": page.status,
        "paged_at": page.paged_at,
        "acknowledged_at": page.acknowledged_at,
        "acknowledged_by": page.acknowledged_by,
        "level": page.escalation_level,
        "url": page.url,
        "error": page.error,
    }
