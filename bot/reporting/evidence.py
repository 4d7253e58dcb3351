"""Evidence before change (Article 73(6)): before a rollback or a lever alters the AI
system of an incident that is serious, or not yet assessed at SEV1, what a later
evaluation of the causes would need is kept as one record with its SHA-256 digest.

Pure but for the caller's session: the registry's state is read by the caller (an HTTP
call, outside any transaction) and handed in; this gathers the rest from the timeline.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.incidents import timeline
from bot.incidents.kinds import EventKind
from bot.store.models import EvidenceRecord, Incident, SeriousCase, TimelineEvent

_KEPT_KINDS = (EventKind.DRIFT_FOUND, EventKind.FAIRNESS_FOUND, EventKind.TRIAGE_ANSWERED)


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def needed(session: Session, incident: Incident) -> bool:
    """Whether a change must first preserve evidence: assessed serious, or not yet
    assessed at SEV1. Never in a drill (nothing real changes)."""
    if incident.drill:
        return False
    case = session.get(SeriousCase, incident.id)
    if case is not None and case.serious is not None:
        return bool(case.serious)
    return incident.severity == "sev1"


def preserve(
    session: Session,
    incident: Incident,
    *,
    change: str,
    by: str | None,
    registry: dict[str, Any] | None,
    registry_problem: str | None,
    now: datetime,
) -> EvidenceRecord:
    """Keep the record and write its timeline event; the record's digest covers it whole."""
    found = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident.id, TimelineEvent.kind.in_(_KEPT_KINDS))
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
    ).all()
    findings = [
        {
            "event": e.id,
            "kind": e.kind,
            "at": e.occurred_at.isoformat(),
            "said": e.text,
            "facts": e.data,
            # What the analysis read, per side (reference, current): a SHA-256 computed
            # while reading (``compare.Reads``); absent for a finding recorded before.
            "read_sha256": dict((e.data or {}).get("read_sha256") or {}),
            # The stored facts' own digest: any change to the figures changes this.
            "facts_sha256": digest(dict(e.data or {})),
        }
        for e in found
        if e.kind != EventKind.TRIAGE_ANSWERED
    ]
    triage = [
        {"at": e.occurred_at.isoformat(), "by": e.actor, "answer": e.data, "said": e.text}
        for e in found
        if e.kind == EventKind.TRIAGE_ANSWERED
    ]
    content: dict[str, Any] = {
        "incident": incident.reference,
        "taken_at": now.isoformat(),
        "taken_by": by,
        "before": change,
        "registry": registry,
        "registry_not_read": registry_problem,
        "findings": findings,
        "triage": triage,
    }
    record = EvidenceRecord(
        incident_id=incident.id,
        taken_at=now,
        taken_by=by,
        reason=change,
        digest=digest(content),
        content=content,
    )
    session.add(record)
    session.flush()
    timeline.record(
        session,
        incident,
        EventKind.EVIDENCE_PRESERVED,
        f"Evidence preserved before {change} (sha256 {record.digest})",
        actor=by,
        when=now,
        digest=record.digest,
        record=record.id,
        findings=len(findings),
        registry_read=registry is not None,
    )
    return record


def records(session: Session, incident_id: int) -> list[EvidenceRecord]:
    return list(
        session.scalars(
            select(EvidenceRecord)
            .where(EvidenceRecord.incident_id == incident_id)
            .order_by(EvidenceRecord.id)
        )
    )
