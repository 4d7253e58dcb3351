"""Runbooks: the checklists in ``templates/runbooks/`` that triage offers in the channel,
and, as timeline events, which were offered and which items were ticked."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.triage_questions import Runbook
from bot.store.models import Incident, TimelineEvent
from bot.store.resources import templates_dir

MAX_ITEMS = 10  # one Slack checkbox group holds ten options


@dataclass(frozen=True)
class Checklist:
    runbook: Runbook
    title: str
    summary: str
    items: tuple[str, ...]


@cache
def load(runbook: Runbook) -> Checklist:
    lines = (templates_dir() / "runbooks" / f"{runbook.value}.md").read_text().splitlines()
    title = lines[0].removeprefix("# ").strip()
    items = tuple(line[len("- [ ] ") :].strip() for line in lines if line.startswith("- [ ] "))
    summary = next((line for line in lines[1:] if line and not line.startswith("- [")), "")
    if not items or len(items) > MAX_ITEMS:
        raise ValueError(f"runbook {runbook.value} needs 1 to {MAX_ITEMS} checklist items")
    return Checklist(runbook, title, summary, items)


# -- what was offered and ticked ------------------------------------------------------
KINDS = ("runbook_item_checked", "runbook_item_unchecked")


def was_offered(session: Session, incident_id: int, runbook: str) -> bool:
    events = session.scalars(
        select(TimelineEvent.data)
        .where(TimelineEvent.incident_id == incident_id)
        .where(TimelineEvent.kind == EventKind.RUNBOOK_OFFERED)
    )
    return any(data.get("runbook") == runbook for data in events)


def offered(session: Session, incident: Incident, runbook: str, title: str, ts: str) -> None:
    timeline.record(
        session,
        incident,
        EventKind.RUNBOOK_OFFERED,
        f"Runbook offered: {title}",
        runbook=runbook,
        ts=ts,
    )


def ticked(session: Session, incident_id: int, runbook: str) -> set[int]:
    events = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident_id)
        .where(TimelineEvent.kind.in_(KINDS))
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
    )
    done: set[int] = set()
    for event in events:
        if event.data.get("runbook") != runbook:
            continue
        item = int(event.data["item"])
        if event.kind == EventKind.RUNBOOK_ITEM_CHECKED:
            done.add(item)
        else:
            done.discard(item)
    return done


def set_item(
    session: Session,
    incident: Incident,
    runbook: str,
    items: tuple[str, ...],
    index: int,
    done: bool,
    *,
    by: str | None,
) -> bool:
    """Mark one item done or not done; False when it already was (nothing recorded)."""
    if not incident.is_open:
        raise InvalidInput(f"{incident.reference} is resolved; its runbooks are closed.")
    if not 0 <= index < len(items):
        raise InvalidInput("That checklist item does not exist.")
    if (index in ticked(session, incident.id, runbook)) == done:
        return False
    if done:
        timeline.record(
            session,
            incident,
            EventKind.RUNBOOK_ITEM_CHECKED,
            f"Done: {items[index]}",
            actor=by,
            runbook=runbook,
            item=index,
        )
    else:
        timeline.record(
            session,
            incident,
            EventKind.RUNBOOK_ITEM_UNCHECKED,
            f"Not done after all: {items[index]}",
            actor=by,
            runbook=runbook,
            item=index,
        )
    return True
