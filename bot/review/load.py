"""The facts a review needs: one row per incident, and the few events it reads itself.

Each incident carries what its events left behind (``bot.incidents.facts``: first
alert, acknowledgement, mitigation, first notice, updates sent and late, the last
triage hypothesis, the post-mortem), so a quarter of 100,000 incidents with
millions of events is read as 100,000 rows, never as a loop over incidents or a
scan of the timeline. Only key-time corrections, action items, fairness findings and
triage's answer to whether an alert fired come from the timeline, in one query by the
(kind, incident, time) index. Times arrive as the database hands them over and become
timestamps a column at a time (a Python datetime per value would cost more than the
queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, CursorResult, and_, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.sqltypes import NullType

from bot.incidents.detection import ALERT_QUESTION
from bot.incidents.kinds import EventKind
from bot.store.db import Database
from bot.store.models import Incident, SeriousCase, TimelineEvent

INCIDENTS, EVENTS = Incident.__table__, TimelineEvent.__table__
I = INCIDENTS.c  # noqa: E741 (the columns, as the queries read them)
E = EVENTS.c
IN_PERIOD = EVENTS.join(INCIDENTS, I.id == E.incident_id)


@dataclass(frozen=True)
class Facts:
    """One row per incident, key-time correction and action item of the incidents declared
    in the window read."""

    incidents: pd.DataFrame
    corrections: pd.DataFrame
    actions: pd.DataFrame
    fairness: pd.DataFrame  # one row per fairness finding: incident_id, breached
    # One row per incident assessed serious: incident_id, due_at, sent_at (the first
    # report's), as serious-incident reporting keeps them.
    reporting: pd.DataFrame = field(default_factory=pd.DataFrame)


def read(db: Database, start: datetime, end: datetime, *, include_drills: bool) -> Facts:
    """Every fact about incidents declared in [start, end), in one transaction."""
    chosen = and_(I.declared_at >= start, I.declared_at < end)
    if not include_drills:
        chosen = and_(chosen, I.drill.is_(None))
    read_events = (
        select(
            E.incident_id,
            E.id.label("event_id"),
            E.kind,
            _stored(E.occurred_at).label("occurred_at"),
            E.data["which"].as_string().label("which"),
            E.data["at"].as_string().label("at"),
            E.data["due"].as_string().label("due"),
            E.data["item_id"].as_integer().label("item_id"),
            E.data["breached"].as_boolean().label("breached"),
            E.data["answer"].as_string().label("answer"),
        )
        .select_from(IN_PERIOD)
        .where(
            chosen,
            or_(
                E.kind.in_(
                    (
                        EventKind.KEY_TIME_CORRECTED,
                        EventKind.ACTION_ITEM,
                        EventKind.ACTION_ITEM_DONE,
                        EventKind.FAIRNESS_FOUND,
                    )
                ),
                # triage's answer to "Did a monitoring alert fire?" (detection.found)
                and_(
                    E.kind == EventKind.TRIAGE_ANSWERED,
                    E.data["question"].as_string() == ALERT_QUESTION,
                ),
            ),
        )
    )
    with db.begin() as session:  # one query per table
        incidents = _frame(session, _incident_rows(chosen))
        events = _frame(session, read_events)
        serious = _frame(session, _serious_rows(chosen))
    kind = events.kind
    corrections = events.loc[
        kind == EventKind.KEY_TIME_CORRECTED,
        ["incident_id", "event_id", "occurred_at", "which", "at"],
    ]
    actions = events.loc[
        kind == EventKind.ACTION_ITEM, ["incident_id", "event_id", "occurred_at", "due"]
    ]
    closed = events.loc[kind == EventKind.ACTION_ITEM_DONE, "item_id"].dropna().astype(int)
    actions = actions.assign(done=actions.event_id.isin(set(closed)))
    frame = incidents.set_index("id", drop=False).rename_axis(None)
    for column in TIMES:
        frame[column] = _times(frame[column])
    frame["private"] = frame["private"].fillna(False).astype(bool)
    answered = events.loc[kind == EventKind.TRIAGE_ANSWERED].sort_values(
        ["occurred_at", "event_id"]
    )
    latest = answered.groupby("incident_id").answer.last()  # the answer that stands
    frame["alert_answer"] = latest.reindex(frame.index).astype(object)
    fairness = events.loc[kind == EventKind.FAIRNESS_FOUND, ["incident_id", "breached"]]
    fairness = fairness.assign(breached=fairness.breached.eq(True))  # unsaid: no breach
    for column in ("due_at", "initial_sent_at", "complete_sent_at"):
        serious[column] = _times(serious[column])
    serious = serious.assign(
        sent_at=serious.initial_sent_at.where(
            serious.initial_sent_at.notna(), serious.complete_sent_at
        )
    )[["incident_id", "due_at", "sent_at"]]
    return Facts(
        incidents=frame,
        corrections=corrections,
        actions=actions,
        fairness=fairness,
        reporting=serious,
    )


def _serious_rows(chosen: ColumnElement[bool]) -> Any:
    """The incidents of the window assessed serious, with their deadline and reports."""
    cases = SeriousCase.__table__.c
    return (
        select(
            cases.incident_id,
            _stored(cases.due_at).label("due_at"),
            _stored(cases.initial_sent_at).label("initial_sent_at"),
            _stored(cases.complete_sent_at).label("complete_sent_at"),
        )
        .select_from(SeriousCase.__table__.join(INCIDENTS, I.id == cases.incident_id))
        .where(chosen, cases.serious.is_(True), cases.due_at.is_not(None))
    )


class _stored(FunctionElement[Any]):
    """A timestamp as the database can hand it over fastest: SQLite's stored text
    ('2026-07-06 09:00:00.000000', UTC), elsewhere seconds since 1970. ``_times`` turns
    either into timestamps a whole column at a time."""

    type = NullType()
    inherit_cache = True


@compiles(_stored, "sqlite")
def _stored_sqlite(element: _stored, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_stored)
def _stored_epoch(element: _stored, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS FLOAT)"


TIMES = (
    "declared_at",
    "resolved_at",
    "detected_at",
    "first_alert_at",
    "acknowledged_at",
    "mitigated_at",
    "postmortem_published_at",
    "first_notice_at",
    "paged_at",
    "page_acknowledged_at",
)


def _incident_rows(chosen: ColumnElement[bool]) -> Any:
    return select(
        I.id,
        I.title,
        I.severity,
        I.status,
        I.service,
        I.registered_model.label("model"),
        I.failure_category.label("category"),
        I.declared_by,
        I.detected_by,
        I.detection,
        I.private,
        I.drill,
        I.updates_sent,
        I.updates_late,
        I.triage_cause,
        *(_stored(I[name]).label(name) for name in TIMES),
    ).where(chosen)


def _times(values: pd.Series) -> pd.Series:
    """A column of stored times (``_stored``) as UTC timestamps."""
    known = values.dropna()
    if known.empty:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if isinstance(known.iloc[0], str):
        return pd.to_datetime(values, utc=True, format="ISO8601")
    micros = (pd.to_numeric(values) * 1e6).round()  # to the microsecond, as stored
    return pd.to_datetime(micros, unit="us", utc=True)


def _frame(session: Session, statement: Any) -> pd.DataFrame:
    """The statement's rows as a frame, straight from the driver's cursor: every column
    read is one the driver already gives as the frame needs it (text, numbers, and the
    raw times ``_times`` converts), so no per-value conversion runs in Python."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    frame = pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))
    if "occurred_at" in frame:
        frame["occurred_at"] = _times(frame["occurred_at"])
    return frame
