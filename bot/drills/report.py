"""The drill report: each expected move against its target on the drill's clock, the
runbook steps left unticked, the injects and the timeline, through the document
templates (``templates/drills/report.md.j2``; a team's own folder first)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.documents.templating import BrokenTemplate, render_document
from bot.drills.clock import DrillClock
from bot.drills.scenarios import Expect, Scenario, clock
from bot.incidents import timeline
from bot.incidents.kinds import EventKind
from bot.store.models import Incident, TimelineEvent

TEMPLATE = "drills/report.md.j2"


class ReportError(Exception):
    """The report could not be rendered (a team's template is broken); says which and why."""


# -- scoring --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scored:
    expect: Expect
    done_at: timedelta | None  # drill time of the move, None if never made

    @property
    def met(self) -> bool:
        return self.done_at is not None and self.done_at <= self.expect.within


def moves(
    scenario: Scenario,
    events: Iterable[TimelineEvent],
    elapsed: DrillClock,
) -> list[Scored]:
    """When each expected move was made, on the drill's clock."""
    first: dict[str, datetime] = {}
    held: set[str] = set()

    def seen(move: str, at: datetime) -> None:
        first.setdefault(move, at)

    for event in events:
        kind, data = event.kind, event.data or {}
        if kind in (EventKind.ROLE_ASSIGNED, EventKind.ROLE_HANDED_OVER):
            held.add(str(data.get("role")))
            if len(held - {"legal"}) == 4:  # the four; the Legal Liaison is not one of them
                seen("roles", event.occurred_at)
        elif kind == EventKind.TRIAGE_PROPOSED:
            seen("triage", event.occurred_at)
        elif kind == EventKind.SEVERITY_CHANGED and data.get("severity") == scenario.severity.value:
            seen("severity", event.occurred_at)
        elif kind in (EventKind.MODEL_ROLLED_BACK, EventKind.CONTAINMENT_RUN) and data.get(
            "ok", True
        ):
            seen("containment", event.occurred_at)
        elif kind == EventKind.STATUS_UPDATE:
            seen("first_notice", event.occurred_at)
        elif kind == EventKind.DRIFT_FOUND:
            seen("drift", event.occurred_at)
        elif kind == EventKind.FAIRNESS_FOUND:
            seen("fairness", event.occurred_at)
    return [
        Scored(e, elapsed.at(first[e.move]) if e.move in first else None) for e in scenario.expects
    ]


def unticked(events: Sequence[TimelineEvent]) -> list[str]:
    """Runbook steps offered in the drill and not ticked at its end."""
    from bot.incidents.runbooks import load as checklist
    from bot.incidents.triage_questions import Runbook

    offered: list[str] = []
    ticked: set[tuple[str, int]] = set()
    for event in events:
        runbook, index = str(event.data.get("runbook")), int(event.data.get("item", -1))
        if event.kind == EventKind.RUNBOOK_OFFERED and runbook not in offered:
            offered.append(runbook)
        elif event.kind == EventKind.RUNBOOK_ITEM_CHECKED:
            ticked.add((runbook, index))
        elif event.kind == EventKind.RUNBOOK_ITEM_UNCHECKED:
            ticked.discard((runbook, index))
    missed = []
    for runbook in offered:
        try:
            steps = checklist(Runbook(runbook))
        except ValueError:
            continue
        missed += [
            f"{steps.title}: {item}"
            for index, item in enumerate(steps.items)
            if (runbook, index) not in ticked
        ]
    return missed


def assemble(
    incident: Incident,
    scenario: Scenario,
    events: Sequence[TimelineEvent],
    drill_clock: DrillClock,
    names: Mapping[str, str],
    now: datetime,
) -> dict[str, Any]:
    """The report's data; people by their display names (``names``), IDs where unknown."""
    scored = moves(scenario, events, drill_clock)

    def at(moment: datetime) -> str:
        return clock(drill_clock.at(moment))

    return {
        "incident": incident,
        "scenario": scenario,
        "scored": scored,
        "missed": [s for s in scored if s.done_at is None],
        "unticked": unticked(events),
        "injects": [
            {"at": at(e.occurred_at), "text": e.data.get("said"), "kind": e.data.get("inject_kind")}
            for e in events
            if e.kind == EventKind.DRILL_INJECT
        ],
        "entries": [
            {
                "at": at(e.occurred_at),
                "label": timeline.label(e.kind),
                "text": timeline.plain(e, dict(names)),
            }
            for e in events
        ],
        "duration": at(incident.drill_ended_at or now),
        "clock": clock,
        "serious": _serious(events, at, drill_clock),
    }


def _serious(
    events: Sequence[TimelineEvent], at: Any, drill_clock: DrillClock
) -> dict[str, Any] | None:
    """Serious-incident reporting in the drill, on its clock: when it was assessed serious,
    when the report would have been due, and whether one was recorded as sent in time."""
    assessed = [e for e in events if e.kind == EventKind.SERIOUS_ASSESSED]
    if not assessed or not assessed[-1].data.get("serious") or not assessed[-1].data.get("due_at"):
        return None
    first = next(e for e in assessed if e.data.get("serious"))
    due = datetime.fromisoformat(str(assessed[-1].data["due_at"]))
    sent = next((e for e in events if e.kind == EventKind.AUTHORITY_REPORT_SENT), None)
    allowed = drill_clock.at(due) - drill_clock.at(assessed[-1].occurred_at)
    hours = allowed.total_seconds() / 3600
    return {
        "assessed": at(first.occurred_at),
        "within": f"{hours / 24:.3g} days" if hours >= 24 else f"{hours:.3g} hours",
        "reason": assessed[-1].data.get("deadline_reason"),
        "sent": at(sent.occurred_at) if sent else None,
        "on_time": bool(sent and sent.occurred_at <= due),
    }


def render(data: Mapping[str, Any], templates_dir: Path | None) -> str:
    """The report in Markdown, or ReportError: never half a report."""
    try:
        return render_document(templates_dir, TEMPLATE, dict(data), html=False, what="drill report")
    except BrokenTemplate as problem:
        raise ReportError(str(problem)) from None
