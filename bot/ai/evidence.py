"""The read-only tools of an investigation: the timeline, triage answers, the incident's
alerts, the registry's history of its model, drift and fairness on the data sets the
incident already used (or the question names), past incidents of the same model or
category and how they ended, and the runbooks.

None of them writes: they read the database in a short transaction of their own, ask the
registry, or hand an analysis to the caller's queue (``Analyses``), which applies the
same egress rule, limits and queue as ``/incident drift`` and ``/incident fairness``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.ai.tools import Refused, Tool, ToolSet
from bot.ai.untrusted import WITHHELD, clean, mask_mapping
from bot.containment.mlflow import Registry, RegistryError
from bot.incidents import triage_questions, triage_state
from bot.incidents.kinds import EventKind, label
from bot.incidents.triage_questions import Runbook
from bot.store.db import Database
from bot.store.models import AlertGroup, AlertRecord, Incident, TimelineEvent

# What a question may name as a data set: a URL or bucket, a table, a CSV or Parquet file.
_PLACE = re.compile(
    r"((?:https?|s3|gs)://[^\s<>\"']+|table:[A-Za-z0-9_.]+"
    r"|[A-Za-z0-9_./=*-]+\.(?:csv|parquet)(?:\.gz)?)"
)


class Analyses(Protocol):
    """Drift and fairness, queued and limited as the commands are (the app provides it)."""

    def drift(
        self,
        reference: str,
        current: str,
        prediction: str | None,
        rows: dict[str, Any] | None = None,
    ) -> dict[str, Any]: ...

    def fairness(
        self, reference: str, current: str, group: str, prediction: str, label: str | None
    ) -> dict[str, Any]: ...


@dataclass
class Context:
    db: Database
    incident_id: int
    sensitive: tuple[str, ...] = ()
    private_allowed: bool = False
    registry: Registry | None = None
    analyses: Analyses | None = None
    names: dict[str, str] = field(default_factory=dict)  # Slack IDs to names
    question: str = ""

    def who(self, user: str | None) -> str | None:
        return f"@{self.names.get(user, user)}" if user else None


def places_named(text: str) -> set[str]:
    """Data sets a question names (URLs, buckets, ``table:`` names, CSV or Parquet files),
    checked by the commands' rules when a tool reads them."""
    return {m.rstrip(".,;)") for m in _PLACE.findall(text or "")}


def _incident(session: Session, context: Context) -> Incident:
    incident = session.get(Incident, context.incident_id)
    if incident is None:
        raise Refused("the incident is gone")
    return incident


def event_line(event: TimelineEvent, context: Context) -> dict[str, Any]:
    text = event.text
    if event.kind == EventKind.FAIRNESS_FOUND and context.sensitive:
        text = str(event.data.get("verdict") or text)
    return {
        "event": event.id,
        "at": event.occurred_at.strftime("%Y-%m-%d %H:%M UTC"),
        "kind": label(event.kind),
        "by": context.who(event.actor),
        "text": clean(text, context.sensitive)[:600],
    }


def _timeline(context: Context) -> Callable[[dict[str, Any]], Any]:
    def run(args: dict[str, Any]) -> Any:
        limit = int(args.get("limit", 60))
        with context.db.begin() as session:
            query = select(TimelineEvent).where(TimelineEvent.incident_id == context.incident_id)
            if "kind" in args:
                query = query.where(TimelineEvent.kind == args["kind"])
            if "before_event" in args:
                query = query.where(TimelineEvent.id < int(args["before_event"]))
            events = list(
                session.scalars(
                    query.order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc()).limit(
                        limit
                    )
                )
            )
            lines = [event_line(e, context) for e in reversed(events)]
        return {"events": lines, "newest_last": True}

    return run


def _triage(context: Context) -> Callable[[dict[str, Any]], Any]:
    def run(_: dict[str, Any]) -> Any:
        with context.db.begin() as session:
            state = triage_state.current(session, context.incident_id)
        questions = {q.key: q for q in triage_questions.QUESTIONS}
        answers = []
        for key, answer in state.items():
            question = questions.get(key)
            answers.append(
                {
                    "question": question.text if question else key,
                    "answer": clean(answer.answer, context.sensitive) if answer.answer else None,
                    "by": context.who(answer.by),
                    "note": clean(answer.note, context.sensitive) if answer.note else None,
                }
            )
        return {"answers": answers}

    return run


def _alerts(context: Context) -> Callable[[dict[str, Any]], Any]:
    def run(_: dict[str, Any]) -> Any:
        with context.db.begin() as session:
            records = session.scalars(
                select(AlertRecord)
                .join(AlertGroup, AlertGroup.id == AlertRecord.group_id)
                .where(AlertGroup.incident_id == context.incident_id)
                .order_by(AlertRecord.first_seen_at)
                .limit(40)
            )
            alerts = [
                {
                    "name": clean(r.name, context.sensitive),
                    "status": r.status,
                    "starts_at": r.starts_at.isoformat() if r.starts_at else None,
                    "ends_at": r.ends_at.isoformat() if r.ends_at else None,
                    "labels": mask_mapping(r.labels or {}, context.sensitive),
                    "annotations": mask_mapping(r.annotations or {}, context.sensitive),
                }
                for r in records
            ]
        return {"alerts": alerts}

    return run


def model_of(context: Context) -> str | None:
    with context.db.begin() as session:
        incident = _incident(session, context)
        return incident.registered_model or incident.service


def _registry(context: Context) -> Callable[[dict[str, Any]], Any]:
    def run(_: dict[str, Any]) -> Any:
        model = model_of(context)
        if context.registry is None:
            raise Refused("no MLflow registry is set up (INCIDENTBOT_MLFLOW_URL)")
        if not model:
            raise Refused("the incident names no model: `/incident model <name>` names it")
        try:
            history = context.registry.history(model)
        except RegistryError as problem:
            raise Refused(f"the registry answered: {problem}") from None
        return {
            "model": history.model,
            "alias": history.alias,
            "serving_version": history.serving,
            "versions": [
                {
                    "version": v.number,
                    "registered": v.created.isoformat(),
                    "aliases": list(v.aliases),
                    "description": clean(v.description)[:300],
                    "metrics": dict(list(v.metrics.items())[:20]),
                }
                for v in history.versions
            ],
        }

    return run


def used_places(context: Context) -> set[str]:
    """The data sets the incident's analyses read, and those the question names."""
    found = places_named(context.question)
    with context.db.begin() as session:
        events = session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.incident_id == context.incident_id,
                TimelineEvent.kind.in_((EventKind.DRIFT_FOUND, EventKind.FAIRNESS_FOUND)),
            )
        )
        for event in events:
            # Drift keeps its data sets as reference/current, fairness as *_data.
            for key in ("reference", "current", "reference_data", "current_data"):
                if event.data.get(key):
                    found.add(str(event.data[key]))
                    # A windowed run names its data set with its options after it.
                    found.add(str(event.data[key]).split(" --", 1)[0])
    return found


def _allowed(context: Context, *places: str) -> None:
    known = used_places(context)
    for place in places:
        if place not in known:
            listed = ", ".join(sorted(known)[:6]) or "none yet"
            raise Refused(
                f"{place[:120]!r} is not a data set this incident used or the question named "
                f"(those are: {listed})"
            )


def _drift(context: Context) -> Callable[[dict[str, Any]], Any]:
    def run(args: dict[str, Any]) -> Any:
        if context.analyses is None:
            raise Refused("analyses are not available here")
        _allowed(context, args["reference"], args["current"])
        facts = context.analyses.drift(
            args["reference"], args["current"], args.get("prediction"), args.get("rows")
        )
        hidden = {c.lower() for c in context.sensitive}
        for column in facts.get("columns", []):
            if str(column.get("column", "")).lower() in hidden:
                column["column"] = WITHHELD
        for listing in ("drifted", "missing_jumped"):  # they name columns too
            if isinstance(facts.get(listing), list):
                facts[listing] = [
                    WITHHELD if str(name).lower() in hidden else name for name in facts[listing]
                ]
        return facts

    return run


def _fairness(context: Context) -> Callable[[dict[str, Any]], Any]:
    def run(args: dict[str, Any]) -> Any:
        if context.analyses is None:
            raise Refused("analyses are not available here")
        _allowed(context, args["reference"], args["current"])
        return context.analyses.fairness(
            args["reference"], args["current"], args["group"], args["prediction"], args.get("label")
        )

    return run


def _past(context: Context) -> Callable[[dict[str, Any]], Any]:
    def run(args: dict[str, Any]) -> Any:
        with context.db.begin() as session:
            incident = _incident(session, context)
            same = []
            if incident.registered_model:
                same.append(Incident.registered_model == incident.registered_model)
            if incident.service:
                same.append(Incident.service == incident.service)
            if incident.failure_category:
                same.append(Incident.failure_category == incident.failure_category)
            if not same:
                return {"incidents": [], "why": "the incident names no model, service or category"}
            query = select(Incident).where(Incident.id != incident.id, or_(*same))
            if not context.private_allowed:
                query = query.where(Incident.private.is_(False))
            found = list(
                session.scalars(
                    query.order_by(Incident.declared_at.desc()).limit(int(args.get("limit", 5)))
                )
            )
            ends = {
                e.incident_id: e
                for e in session.scalars(
                    select(TimelineEvent).where(
                        TimelineEvent.incident_id.in_([i.id for i in found]),
                        TimelineEvent.kind == EventKind.RESOLVED,
                    )
                )
            }
            return {
                "incidents": [
                    {
                        "reference": i.reference,
                        "title": clean(i.title, context.sensitive),
                        "drill": bool(i.drill),
                        "severity": i.severity,
                        "model": i.registered_model or i.service,
                        "category": i.failure_category,
                        "cause_found_in_triage": i.triage_cause,
                        "declared": i.declared_at.isoformat(),
                        "resolved": i.resolved_at.isoformat() if i.resolved_at else None,
                        "how_it_ended": clean(ends[i.id].text, context.sensitive)[:400]
                        if i.id in ends
                        else None,
                    }
                    for i in found
                ]
            }

    return run


def _runbooks(_: Context) -> Callable[[dict[str, Any]], Any]:
    def run(_: dict[str, Any]) -> Any:
        from bot.incidents import runbooks

        books = []
        for book in Runbook:
            try:
                checklist = runbooks.load(book)
            except (OSError, ValueError):
                continue
            books.append(
                {"name": book.value, "title": checklist.title, "steps": list(checklist.items)}
            )
        return {"runbooks": books}

    return run


_NONE: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
_PLACE_ARG = {"type": "string", "minLength": 1, "maxLength": 500}
# Which rows to compare, as an earlier drift of the incident kept them (its "rows").
_ROWS_ARG = {
    "type": "object",
    "description": "The rows to compare, as an earlier drift of this incident recorded them "
    "in its 'rows' (time_column, window, against, where, until); leave out for all rows.",
    "properties": {
        "time_column": {"type": "string", "minLength": 1, "maxLength": 100},
        "window": {"type": "string", "minLength": 1, "maxLength": 10},
        "against": {"type": "string", "minLength": 1, "maxLength": 10},
        "where": {
            "type": "array",
            "items": {"type": "string", "minLength": 3, "maxLength": 200},
            "maxItems": 5,
        },
        "until": {"type": "string", "minLength": 10, "maxLength": 40},
    },
    "additionalProperties": False,
}


def investigation_tools(context: Context, model_name: str | None = None) -> ToolSet:
    """Every read-only tool, bound to one incident."""
    model_name = model_name or "the incident's model"
    kinds = sorted(k.value for k in EventKind)
    tools: Sequence[Tool] = (
        Tool(
            "read_timeline",
            "The incident's timeline events, newest last: what happened, when, by whom.",
            {
                "type": "object",
                "properties": {
                    "limit": {"type": "integer", "minimum": 1, "maximum": 200},
                    "kind": {"type": "string", "enum": kinds},
                    "before_event": {"type": "integer", "minimum": 1},
                },
                "additionalProperties": False,
            },
            _timeline(context),
            lambda a: "Reading the timeline…",
        ),
        Tool(
            "triage_answers",
            "The triage questions and the answers people gave, with their notes.",
            _NONE,
            _triage(context),
            lambda a: "Reading the triage answers…",
        ),
        Tool(
            "incident_alerts",
            "The alerts of this incident: names, states, labels and annotations.",
            _NONE,
            _alerts(context),
            lambda a: "Reading the incident's alerts…",
        ),
        Tool(
            "registry_history",
            "The model registry's versions, aliases, metrics and recent changes of the "
            "incident's model.",
            _NONE,
            _registry(context),
            lambda a: f"Reading the registry history of {model_name}…",
        ),
        Tool(
            "run_drift",
            "Whether the data changed between a reference and a current data set (only "
            "data sets this incident already used or the question named).",
            {
                "type": "object",
                "properties": {
                    "reference": _PLACE_ARG,
                    "current": _PLACE_ARG,
                    "prediction": {"type": "string", "maxLength": 200},
                    "rows": _ROWS_ARG,
                },
                "required": ["reference", "current"],
                "additionalProperties": False,
            },
            _drift(context),
            lambda a: (
                f"Comparing {str(a['reference'])[:80]} with {str(a['current'])[:80]} for drift…"
            ),
        ),
        Tool(
            "run_fairness",
            "Selection and error rates by group, reference against current (only data sets "
            "this incident already used or the question named).",
            {
                "type": "object",
                "properties": {
                    "reference": _PLACE_ARG,
                    "current": _PLACE_ARG,
                    "group": {"type": "string", "minLength": 1, "maxLength": 200},
                    "prediction": {"type": "string", "minLength": 1, "maxLength": 200},
                    "label": {"type": "string", "maxLength": 200},
                },
                "required": ["reference", "current", "group", "prediction"],
                "additionalProperties": False,
            },
            _fairness(context),
            lambda a: f"Comparing groups by {str(a['group'])[:60]} for fairness…",
        ),
        Tool(
            "past_incidents",
            "Past incidents of the same model, service or failure category, and how they ended.",
            {
                "type": "object",
                "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 20}},
                "additionalProperties": False,
            },
            _past(context),
            lambda a: "Reading past incidents of the same model and category…",
        ),
        Tool(
            "runbooks",
            "The team's runbooks: each checklist's steps.",
            _NONE,
            _runbooks(context),
            lambda a: "Reading the runbooks…",
        ),
    )
    return ToolSet(tools)
