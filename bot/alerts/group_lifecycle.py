"""An alert group's lifecycle: opened from a batch, an incident declared from it, closed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from bot.alerts.normalized import Alert, AlertBatch
from bot.alerts.policy import AlertPolicy
from bot.incidents import timeline, typed_text
from bot.incidents.declare import DESCRIPTION_MAX, TITLE_MAX, Declaration, declare
from bot.incidents.kinds import EventKind
from bot.incidents.severity import Severity
from bot.store.models import AlertGroup, Incident

SOURCE_NAMES = {"alertmanager": "Alertmanager", "grafana": "Grafana", "generic": "Monitor"}
SERVICE_LABELS = ("model", "model_name", "service", "app", "job")
MAX_LINKS = 10


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, source)


def new_group(
    batch: AlertBatch, firing: Sequence[Alert], policy: AlertPolicy, now: datetime
) -> AlertGroup:
    """A group for a key seen for the first time (or again after its last group closed)."""
    severity, severity_label = policy.group_severity(firing)
    first = firing[0]
    single = len(firing) == 1
    labels = first.labels if single else batch.common_labels or first.labels
    annotations = first.annotations if single else batch.common_annotations or first.annotations
    starts = [a.starts_at for a in firing if a.starts_at is not None]
    return AlertGroup(
        source=batch.source,
        group_key=batch.group_key,
        active_key=batch.dedup_hash,
        route=batch.route,
        title=_title(batch, firing),
        severity=severity.value,
        severity_label=severity_label,
        service=_service(labels, first.labels),
        status="firing",
        labels=dict(labels),
        annotations=dict(annotations),
        links=_links(firing),
        starts_at=min(starts) if starts else None,
        first_seen_at=now,
        last_seen_at=now,
    )


def _title(batch: AlertBatch, firing: Sequence[Alert]) -> str:
    """The incident's title: what the sender called the batch, or its first alert's name
    and summary, without control characters; an alert that names itself with nothing
    visible is called by its source."""
    title = typed_text.cleaned(_named(batch, firing), lines=False)
    if not typed_text.shows_something(title):
        title = f"An alert from {source_name(batch.source)} with no name"
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


def _named(batch: AlertBatch, firing: Sequence[Alert]) -> str:
    if batch.title:
        return batch.title
    first = firing[0]
    summary = first.annotations.get("summary") or first.annotations.get("title")
    title = f"{first.name}: {summary}" if summary and summary != first.name else first.name
    others = len({a.name for a in firing} - {first.name})
    if others:
        title += f" (and {others} more alert{'s' if others > 1 else ''})"
    return title


def _service(*label_sets: dict[str, str]) -> str | None:
    for labels in label_sets:
        for name in SERVICE_LABELS:
            if labels.get(name):
                return labels[name][:200]
    return None


def _links(alerts: Sequence[Alert]) -> dict[str, str]:
    links: dict[str, str] = {}
    for alert in alerts:
        for title, url in alert.links.items():
            if url in links.values():
                continue
            name = title if title not in links else f"{title} ({alert.name})"
            if len(links) < MAX_LINKS and name not in links:
                links[name[:100]] = url
    return links


def declare_from(
    session: Session,
    group: AlertGroup,
    *,
    actor: str | None,
    now: datetime,
    private: bool = False,
) -> Incident:
    """Open the group's incident, with the alert's first signal first on its timeline."""
    detected_by = f"{source_name(group.source)}: {group.title}"[:200]
    incident = declare(
        session,
        Declaration(
            title=group.title,
            severity=Severity(group.severity),
            declared_by=actor,
            service=group.service,
            description=(group.annotations.get("description") or "")[:DESCRIPTION_MAX] or None,
            detected_at=group.starts_at or now,
            detected_by=detected_by,
            private=private,
        ),
        now=now,
    )
    timeline.record(
        session,
        incident,
        EventKind.ALERT_FIRED,
        f"{source_name(group.source)} alert fired: {group.title}",
        when=group.starts_at or now,
        source=group.source,
        title=group.title,  # the alert's own name, for documents that say "alert" themselves
        group_key=group.group_key,
        route=group.route,
        severity_label=group.severity_label,
        labels=group.labels,
        annotations=group.annotations,
        links=group.links,
        starts_at=group.starts_at.isoformat() if group.starts_at else None,
    )
    group.incident_id = incident.id
    group.decision = "declared"
    return incident


def live_group(
    session: Session, dedup_hash: str, now: datetime
) -> tuple[AlertGroup | None, Incident | None]:
    """The key's live group (locked for this transaction) and its open incident.

    A group whose incident is over is closed here, so the key is free for a new one.
    """
    group = session.scalars(
        select(AlertGroup).where(AlertGroup.active_key == dedup_hash).with_for_update()
    ).first()
    if group is None or group.incident_id is None:
        return group, None
    incident = session.get(Incident, group.incident_id, options=[lazyload(Incident.roles)])
    if incident is not None and incident.is_open:
        return group, incident
    close(group, now)
    session.flush()  # frees the unique key before a new group takes it
    return None, None


def close(group: AlertGroup, now: datetime) -> None:
    group.active_key = None
    group.closed_at = now
