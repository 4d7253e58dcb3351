"""The review's numbers, from the frames ``load`` reads: pandas over whole columns.

Every duration is measured as the post-mortem measures it (``key_times``): from
the first signal, corrections winning. Severity is the incident's last one. An
incident belongs to the period in which it was declared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from bot.incidents.categories import FAILURE_CATEGORIES
from bot.incidents.detection import found
from bot.incidents.key_times import KeyTime, spoken
from bot.incidents.reminders import POSTMORTEM_BUSINESS_DAYS, POSTMORTEM_SEVERITIES, Cadence
from bot.incidents.severity import RESPONSE_TARGETS, Severity
from bot.review.load import Facts, read
from bot.review.period import Period
from bot.store.db import Database

SEVERITIES = [s.value for s in Severity]
# Key times the review reads, and the durations from the first signal it reports.
STAGES = (
    ("detect", "Time to detect", KeyTime.DECLARED),
    ("acknowledge", "Time to acknowledge", KeyTime.ACKNOWLEDGED),
    ("mitigate", "Time to mitigate", KeyTime.MITIGATED),
    ("resolve", "Time to resolve", KeyTime.RESOLVED),
    # The on-call's answer, measured from the page (incidents that paged only).
    ("answer_page", "Page to acknowledgement", KeyTime.PAGE_ACKNOWLEDGED),
)
# How an incident was found (declare.DETECTIONS), as its post-mortem says (detection.found).
UNSAID = "not said"
DETECTED = {"alert": "alert", "person": "person", "external": "external report", None: UNSAID}
UNNAMED = "(not named)"
PRIVATE = "(private)"
MISSED_LISTED = 100  # incidents named under "expected response missed"; the CSV marks all


@dataclass(frozen=True)
class Review:
    period: Period
    previous: Period
    now: datetime
    incidents: pd.DataFrame  # one row per incident of the period, key times and durations
    figures: dict[str, Any]  # what the documents show, as plain data


def make(
    db: Database, period: Period, cadence: Cadence, now: datetime, *, include_drills: bool
) -> Review:
    """The review of ``period``, read from the database in one pass per kind of fact."""
    facts = read(db, period.previous().start, period.end, include_drills=include_drills)
    return compute(facts, period, cadence, now, include_drills=include_drills)


def compute(
    facts: Facts, period: Period, cadence: Cadence, now: datetime, *, include_drills: bool
) -> Review:
    """The review of ``period`` with the previous period beside it; ``facts`` covers both."""
    frame = incident_frame(facts, cadence, now)
    previous = period.previous()
    this = frame[(frame.declared_at >= period.start) & (frame.declared_at < period.end)]
    before = frame[(frame.declared_at >= previous.start) & (frame.declared_at < previous.end)]
    figures = {
        "counts": _counts(this, before),
        "durations": _durations(this, before),
        "missed": _missed(this),
        "recurrence": _recurrence(this, before),
        "follow_through": _follow_through(this, before, facts.actions, now),
        "fairness": _fairness(this, before, facts.fairness),
        "reporting": _reporting(this, before, facts.reporting, now),
        "communication": _communication(this, before),
        "include_drills": include_drills,
        "drills": int(this.drill.notna().sum()),
        "private": int(this.private.sum()),
    }
    return Review(period, previous, now, this, figures)


def incident_frame(facts: Facts, cadence: Cadence, now: datetime) -> pd.DataFrame:
    """One row per incident: its key times (corrections applied) and durations in seconds."""
    f = facts.incidents.copy()
    f["resolved"] = f.resolved_at
    f["detected"] = f.detected_at.fillna(f.first_alert_at).fillna(f.declared_at)
    f["acknowledged"] = f.acknowledged_at
    f["mitigated"] = f.mitigated_at.fillna(f.resolved)
    f["declared"] = f.declared_at
    f["first_notice"] = f.first_notice_at
    f["postmortem_at"] = f.postmortem_published_at
    f["paged"] = f.paged_at
    f["page_acknowledged"] = f.page_acknowledged_at
    latest = (
        facts.corrections.sort_values(["occurred_at", "event_id"])
        .groupby(["incident_id", "which"])
        .last()
    )
    for which in ("detected", "acknowledged", "mitigated", "resolved"):
        picked = latest.xs(which, level="which")["at"] if which in _levels(latest) else None
        if picked is not None and len(picked):
            moved = pd.to_datetime(picked, utc=True, format="ISO8601")
            f[which] = moved.reindex(f.index).fillna(f[which])
    for key, _, until in STAGES:
        start = f.paged if until is KeyTime.PAGE_ACKNOWLEDGED else f.detected
        f[f"to_{key}"] = (f[until.value] - start).dt.total_seconds().clip(lower=0)
    f["detection"] = _detection(f)
    f["model_or_service"] = f.model.fillna(f.service).fillna(UNNAMED)
    # A private incident's model could say what its title would: it is counted, not named.
    f.loc[f.private, "model_or_service"] = PRIVATE
    f["category_label"] = f.category.map(FAILURE_CATEGORIES).fillna(UNNAMED)
    f["cadence"] = f.severity.map({s: _seconds(cadence.get(s)) for s in SEVERITIES}).astype(float)
    f["severity"] = pd.Categorical(f.severity, categories=SEVERITIES)
    _response(f, now)
    return f


def _detection(f: pd.DataFrame) -> pd.Series:
    """How each incident was found, by the post-mortem's rule (``detection.found``): asked
    once per distinct combination of what it reads, not once per incident."""
    said = pd.DataFrame(
        {
            "alert": (f.detected_by.notna() | f.first_alert_at.notna()).to_numpy(),
            "answer": _texts(f.alert_answer),
            "declared": _texts(f.detection),
        },
        index=f.index,
    )
    keys = list(said.columns)
    distinct = said.drop_duplicates().copy()
    distinct["how"] = [
        DETECTED.get(found(alert_recorded=a, triage_answer=t, declared=d).how, UNSAID)
        for a, t, d in distinct.itertuples(index=False)
    ]
    how = said.merge(distinct, on=keys, how="left").how
    return pd.Series(how.to_numpy(), index=f.index)


def _texts(column: pd.Series) -> list[str | None]:
    """A column's words, None where there are none (NaN would not compare as missing)."""
    return [value if isinstance(value, str) else None for value in column]


def _levels(frame: pd.DataFrame) -> set[str]:
    return set(frame.index.get_level_values("which")) if len(frame) else set()


def _seconds(delta: timedelta | None) -> float:
    return delta.total_seconds() if delta else np.nan


def _by(frame: pd.DataFrame, column: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in frame[column].value_counts().items()}


def _counts(this: pd.DataFrame, before: pd.DataFrame) -> dict[str, Any]:
    def table(column: str, order: list[str] | None = None) -> list[dict[str, Any]]:
        now, then = _by(this, column), _by(before, column)
        keys = order or sorted(now, key=lambda k: (-now[k], k))
        keys += [k for k in sorted(then) if k not in keys and not order]
        return [{"name": k, "count": now.get(k, 0), "previous": then.get(k, 0)} for k in keys]

    return {
        "total": len(this),
        "previous_total": len(before),
        "open": int((this.status != "resolved").sum()),
        "severity": table("severity", list(SEVERITIES)),
        "category": table("category_label"),
        "model": table("model_or_service"),
        # "not said" only when some incident left it unsaid
        "detection": table(
            "detection",
            [
                v
                for v in DETECTED.values()
                if v != UNSAID or (this.detection == v).any() or (before.detection == v).any()
            ],
        ),
    }


def _stats(seconds: pd.Series) -> dict[str, Any]:
    known = seconds.dropna()
    if known.empty:
        return {"n": 0, "median": None, "p90": None}
    return {
        "n": int(known.size),
        "median": timedelta(seconds=float(known.median())),
        "p90": timedelta(seconds=float(known.quantile(0.9))),
    }


def _durations(this: pd.DataFrame, before: pd.DataFrame) -> list[dict[str, Any]]:
    """Median and 90th percentile of each stage per severity, and the previous period's."""
    rows = []
    for severity in SEVERITIES:
        now, then = this[this.severity == severity], before[before.severity == severity]
        for key, label, _ in STAGES:
            rows.append(
                {
                    "severity": severity,
                    "stage": label,
                    "key": key,
                    **_stats(now[f"to_{key}"]),
                    "previous": _stats(then[f"to_{key}"]),
                }
            )
    return rows


def _response(f: pd.DataFrame, now: datetime) -> None:
    """Mark, per incident, whether people were at work and stakeholders told in time for
    its severity (RESPONSE_TARGETS; the first notice also within the update cadence). One
    still waiting past its deadline has missed it too."""
    targets = {s.value: RESPONSE_TARGETS[s] for s in Severity}
    ack_limit = f.severity.map({s: _seconds(t.acknowledge) for s, t in targets.items()}).astype(
        float
    )
    fixed = f.severity.map({s: _seconds(t.notify) for s, t in targets.items()}).astype(float)
    notice_limit = pd.concat([f.cadence, fixed], axis=1).min(axis=1)  # the stricter one
    f["ack_delay"] = (f.acknowledged - f.declared).dt.total_seconds()
    f["notice_delay"] = (f.first_notice - f.declared).dt.total_seconds()
    waited = (pd.Timestamp(now) - f.declared).dt.total_seconds()
    for what, delay, limit in (
        ("ack", f.ack_delay, ack_limit),
        ("notice", f.notice_delay, notice_limit),
    ):
        f[f"{what}_limit"] = limit
        f[f"{what}_missed"] = limit.notna() & ((delay > limit) | (delay.isna() & (waited > limit)))


def problems(row: Any) -> list[str]:
    """What an incident's response missed, in words (``row`` from ``incident_frame``)."""
    out = []
    if row.ack_missed:
        out.append(_late("acknowledged", "nobody at work yet", row.ack_delay, row.ack_limit))
    if row.notice_missed:
        out.append(_late("first notice", "no notice sent", row.notice_delay, row.notice_limit))
    return out


def _missed(this: pd.DataFrame) -> dict[str, Any]:
    """How many incidents missed their expected response, and the first ``MISSED_LISTED``."""
    late = this[this.ack_missed | this.notice_missed].sort_values("id")
    listed = [
        {
            "id": int(str(row.id)),
            "reference": f"INC-{row.id}",
            "severity": row.severity,
            "title": None if row.private else row.title,
            "private": bool(row.private),
            "problems": problems(row),
        }
        for row in late.head(MISSED_LISTED).itertuples()
    ]
    return {
        "total": len(late),
        "by_severity": {s: int((late.severity == s).sum()) for s in SEVERITIES},
        "listed": listed,
        "more": len(late) - len(listed),
    }


def _late(what: str, never: str, seconds: Any, limit: Any) -> str:
    expected = f"(expected within {spoken(timedelta(seconds=float(limit)))})"
    if seconds is None or pd.isna(seconds):
        return f"{never} {expected}"
    return f"{what} after {spoken(timedelta(seconds=float(seconds)))} {expected}"


def _recurrence(this: pd.DataFrame, before: pd.DataFrame) -> dict[str, Any]:
    """Models and categories with more than one incident, and where triage put the causes."""

    def repeats(column: str) -> list[dict[str, Any]]:
        counts = this[~this[column].isin((UNNAMED, PRIVATE))][column].value_counts()
        earlier = before[column].value_counts()
        return [
            {"name": str(k), "count": int(v), "previous": int(earlier.get(k, 0))}
            for k, v in counts.items()
            if v > 1 or earlier.get(k, 0) > 0
        ]

    causes = this.triage_cause.value_counts()
    return {
        "models": repeats("model_or_service"),
        "categories": repeats("category_label"),
        "causes": [{"name": str(k), "count": int(v)} for k, v in causes.items()],
        "without_cause": int(this.triage_cause.isna().sum()),
    }


def _fairness(
    this: pd.DataFrame, before: pd.DataFrame, findings: pd.DataFrame
) -> list[dict[str, Any]]:
    """Fairness findings per model (private incidents counted, not named): how many
    analyses were run, how many found the four-fifths rule breached, and the period before."""

    def per_model(frame: pd.DataFrame) -> pd.DataFrame:
        ours = findings[findings.incident_id.isin(frame.index)]
        model = frame.model_or_service.reindex(ours.incident_id).to_numpy()
        return (
            ours.assign(model=model)
            .groupby("model")
            .agg(findings=("incident_id", "size"), breaches=("breached", "sum"))
        )

    now, then = per_model(this), per_model(before)
    rows = [
        {
            "name": str(name),
            "findings": int(row.findings),
            "breaches": int(row.breaches),
            "previous": int(then.findings.get(name, 0)),
        }
        for name, row in now.iterrows()
    ]
    rows += [
        {"name": str(name), "findings": 0, "breaches": 0, "previous": int(count)}
        for name, count in then.findings.items()
        if name not in now.index
    ]
    return sorted(rows, key=lambda r: (-r["findings"], -r["previous"], r["name"]))


def _reporting(
    this: pd.DataFrame, before: pd.DataFrame, cases: pd.DataFrame, now: datetime
) -> dict[str, Any]:
    """Serious incidents' reports to the authority: how many were due, sent on time, sent
    late, and overdue unsent at ``now``; this period and the one before."""

    def tally(frame: pd.DataFrame) -> dict[str, int]:
        if cases.empty:
            return {"due": 0, "on_time": 0, "late": 0, "overdue": 0}
        ours = cases[cases.incident_id.isin(frame.index)]
        sent = ours.sent_at.notna()
        return {
            "due": len(ours),
            "on_time": int((sent & (ours.sent_at <= ours.due_at)).sum()),
            "late": int((sent & (ours.sent_at > ours.due_at)).sum()),
            "overdue": int((~sent & (ours.due_at < pd.Timestamp(now))).sum()),
        }

    return {"this": tally(this), "previous": tally(before)}


def _follow_through(
    this: pd.DataFrame, before: pd.DataFrame, actions: pd.DataFrame, now: datetime
) -> dict[str, Any]:
    def items(frame: pd.DataFrame) -> dict[str, int]:
        ours = actions[actions.incident_id.isin(frame.index)]
        due = pd.to_datetime(ours.due, errors="coerce")
        overdue = (~ours.done) & due.notna() & (due.dt.date < now.date())
        return {
            "opened": len(ours),
            "closed": int(ours.done.sum()),
            "open": int((~ours.done).sum()),
            "overdue": int(overdue.sum()),
        }

    return {
        "actions": items(this),
        "previous_actions": items(before),
        "postmortems": _postmortems(this, now),
        "previous_postmortems": _postmortems(before, now),
    }


def postmortem_due(resolved: pd.Series) -> pd.Series:
    """``reminders.add_business_days(resolved, 5)`` for a whole column at once."""
    known = resolved.dropna()
    days = known.dt.tz_convert(None).dt.normalize()
    moved = np.busday_offset(
        days.values.astype("datetime64[D]"), POSTMORTEM_BUSINESS_DAYS, roll="backward"
    )
    due = pd.Series(pd.to_datetime(moved), index=known.index).dt.tz_localize("UTC")
    shifted: pd.Series = (due + (known - known.dt.normalize())).reindex(resolved.index)
    return shifted


def _postmortems(frame: pd.DataFrame, now: datetime) -> dict[str, int]:
    """SEV1/SEV2 incidents, resolved: published within 5 business days, late, missing, due."""
    wanted = frame[frame.severity.isin([s.value for s in POSTMORTEM_SEVERITIES])]
    wanted = wanted[wanted.resolved.notna()]
    due = postmortem_due(wanted.resolved)
    published = wanted.postmortem_at
    on_time = published.notna() & (published <= due)
    late = published.notna() & (published > due)
    missing = published.isna() & (due < now)
    return {
        "owed": len(wanted),
        "on_time": int(on_time.sum()),
        "late": int(late.sum()),
        "missing": int(missing.sum()),
        "not_due": int((published.isna() & (due >= now)).sum()),
    }


def _communication(this: pd.DataFrame, before: pd.DataFrame) -> dict[str, Any]:
    def measure(frame: pd.DataFrame) -> dict[str, Any]:
        timed = frame[frame.cadence.notna() & frame.updates_late.notna()]
        sent, late = int(timed.updates_sent.sum()), int(timed.updates_late.sum())
        delay = (frame.first_notice - frame.declared).dt.total_seconds()
        return {
            "first_notice": {s: _stats(delay[frame.severity == s]) for s in SEVERITIES},
            "updates": sent,
            "on_cadence": sent - late,
            "share": (sent - late) / sent if sent else None,
            "without_notice": int((frame.first_notice.isna() & frame.cadence.notna()).sum()),
        }

    return {"now": measure(this), "previous": measure(before)}
