"""The report to the authority: gathered from the incident, its assessment and its
timeline, checked against the regime's required fields, and written as Markdown, HTML
or JSON (the JSON's names follow the OECD AI incident reporting framework where they map).

:func:`gather` reads; :func:`missing` says which required fields are empty;
:func:`render` writes. Stored text reaches each format through ``bot.text.rendering``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.incidents import notes
from bot.incidents.kinds import EventKind
from bot.reporting import chain
from bot.reporting.regimes import CAUSAL_WORDS, FIELDS, Answers, Regime, ReportingSettings
from bot.store.models import Incident, SeriousCase, TimelineEvent
from bot.text import rendering

FORMATS = ("md", "html", "json")


class ReportError(ValueError):
    """The report cannot be written (the complete one, while fields are missing)."""


@dataclass
class Report:
    regime: Regime
    complete: bool
    reference: str
    title: str
    private: bool
    drill: bool
    values: dict[str, str]  # each field's words, "" when not known
    findings: list[str] = field(default_factory=list)
    measures_taken: list[str] = field(default_factory=list)
    measures_planned: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # what could not be read, in words
    last_hash: str = ""
    sent: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # figures for the JSON

    def missing(self) -> list[str]:
        return [name for name in self.regime.required if not self.values.get(name)]


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else ""


def gather(
    session: Session, incident: Incident, settings: ReportingSettings, *, complete: bool
) -> Report:
    """Everything the report says, read in the caller's transaction."""
    regime = settings.regime
    case = session.get(SeriousCase, incident.id)
    answers = Answers.from_data(case.answers if case else None)
    events = list(
        session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident.id)
            .where(
                TimelineEvent.kind.in_(
                    [
                        EventKind.MODEL_CARD,
                        EventKind.DRIFT_FOUND,
                        EventKind.FAIRNESS_FOUND,
                        EventKind.MODEL_ROLLED_BACK,
                        EventKind.CONTAINMENT_RUN,
                        EventKind.EVIDENCE_PRESERVED,
                        EventKind.TRIAGE_ANSWERED,
                    ]
                )
            )
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        )
    )
    unread: list[str] = []
    cards = [e for e in events if e.kind == EventKind.MODEL_CARD]
    system = incident.registered_model or incident.service or ""
    if cards:
        card = cards[-1].data or {}
        serving = card.get("serving")
        version = next((v for v in card.get("versions") or [] if v.get("version") == serving), None)
        system = f"{card.get('model')} version {serving} ({card.get('alias')})"
        if version and version.get("run_id"):
            system += f", run {version['run_id']}"
    else:
        unread.append(
            "The model registry was not read for this incident (no `/incident model` card): "
            "the AI system is named as declared, without its version or run."
        )
    met = [c.label for c in answers.met(regime)]
    first_signal = incident.detected_at or incident.first_alert_at
    impact = next(
        (
            e.text
            for e in reversed(events)
            if e.kind == EventKind.TRIAGE_ANSWERED and (e.data or {}).get("question") == "impact"
        ),
        "",
    )
    findings = [
        e.text for e in events if e.kind in (EventKind.DRIFT_FOUND, EventKind.FAIRNESS_FOUND)
    ]
    taken = [
        f"{_when(e.occurred_at)}: {e.text}"
        for e in events
        if e.kind in (EventKind.MODEL_ROLLED_BACK, EventKind.CONTAINMENT_RUN)
    ]
    # Whether an item is done is the incident's own answer (``notes.actions``, which the
    # summary, the cards and the tracker use), not worked out again here.
    planned = [
        str((e.data or {}).get("item") or e.text)
        + (f", due {(e.data or {}).get('due')}" if (e.data or {}).get("due") else "")
        + (" (done)" if done else "")
        for e, done in notes.actions(session, incident.id)
    ]
    evidence = [e for e in events if e.kind == EventKind.EVIDENCE_PRESERVED]
    values = {
        "provider": settings.provider or "",
        "contact": settings.contact or "",
        "ai_system": system,
        "what_happened": incident.title
        + (f". {incident.description}" if incident.description else ""),
        "awareness": _when(case.aware_at if case else None),
        "first_signal": _when(first_signal or incident.declared_at),
        "containment": _when(incident.mitigated_at),
        "harm": "; ".join(met),
        "affected": impact,
        "member_states": ", ".join(answers.member_states),
        "causal_link": ""
        if answers.causal == "unknown"
        else CAUSAL_WORDS.get(answers.causal, answers.causal),
        "findings": "; ".join(findings),
        "corrective_measures": "; ".join(taken + planned),
    }
    sent = []
    if case is not None:
        for which, at, ref in (
            ("Initial report", case.initial_sent_at, case.initial_reference),
            ("Complete report", case.complete_sent_at, case.complete_reference),
        ):
            if at is not None:
                sent.append(f"{which} sent {_when(at)}" + (f", reference {ref}" if ref else ""))
    return Report(
        regime=regime,
        complete=complete,
        reference=incident.reference,
        title=incident.title,
        private=incident.private,
        drill=bool(incident.drill),
        values=values,
        findings=findings,
        measures_taken=taken,
        measures_planned=planned,
        unread=unread,
        last_hash=chain.head(session, incident.id),
        sent=sent,
        data={
            "severity": incident.severity,
            "declared_at": incident.declared_at.isoformat(),
            "aware_at": case.aware_at.isoformat() if case and case.aware_at else None,
            "due_at": case.due_at.isoformat() if case and case.due_at else None,
            "deadline_days": case.deadline_days if case else None,
            "criteria": dict(answers.criteria),
            "widespread": answers.widespread,
            "causal_link": answers.causal,
            "evidence_digests": [(e.data or {}).get("digest") for e in evidence],
        },
    )


def check_complete(report: Report) -> None:
    """The complete report is refused while a required field is empty, naming them."""
    missing = report.missing()
    if report.complete and missing:
        named = ", ".join(FIELDS[name] for name in missing)
        raise ReportError(
            f"The complete report for {report.reference} cannot go yet: it is missing {named}. "
            "`/incident authority-report initial` drafts what is known, listing the same gaps."
        )


def _kind(report: Report) -> str:
    return "Complete report" if report.complete else "Initial report"


def render(report: Report, fmt: str) -> str:
    """The report as ``md``, ``html`` or ``json``."""
    if fmt == "json":
        return json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return _html(report)
    return _markdown(report)


# How each field is labelled in the report (``FIELDS`` says what a missing one is).
LABELS = {
    "provider": "Provider",
    "contact": "Contact",
    "ai_system": "AI system",
    "what_happened": "What happened",
    "awareness": "Provider aware since",
    "first_signal": "First signal",
    "containment": "Contained",
    "harm": "Harm",
    "affected": "Who was affected",
    "member_states": "Member States",
    "causal_link": "Causal link with the AI system",
    "findings": "Findings",
    "corrective_measures": "Corrective measures",
}


def _rows(report: Report, name: str) -> list[tuple[str, str]]:
    if name == "findings":
        return [("Finding", f) for f in report.findings] or [(LABELS[name], "")]
    if name == "corrective_measures":
        rows = [("Taken", m) for m in report.measures_taken]
        rows += [("Planned", m) for m in report.measures_planned]
        return rows or [(LABELS[name], "")]
    return [(LABELS[name], report.values.get(name, ""))]


def _sections(report: Report) -> list[tuple[str, list[tuple[str, str]]]]:
    sections = []
    listed: set[str] = set()
    for section in report.regime.sections:
        names = list(section.fields)
        if section.title.lower().startswith("finding") and "findings" not in names:
            names.append("findings")
        listed.update(names)
        sections.append((section.title, [row for n in names for row in _rows(report, n)]))
    others = [n for n in FIELDS if n not in listed and report.values.get(n)]
    if others:
        sections.append(("Also known", [row for n in others for row in _rows(report, n)]))
    return sections


def _markdown(report: Report) -> str:
    md = rendering.for_markdown
    lines = [
        f"# {_kind(report)} of a serious incident: {md(report.reference)}",
        "",
        f"To {md(report.regime.authority)}, under {md(report.regime.title)}.",
        "",
    ]
    if report.drill:
        lines += ["**A drill: nothing here happened.**", ""]
    missing = report.missing()
    if missing and not report.complete:
        lines += ["## Still missing", ""]
        lines += [f"- {md(FIELDS[name])}" for name in missing]
        lines.append("")
    for title, rows in _sections(report):
        lines += [f"## {md(title)}", ""]
        for label, value in rows:
            lines.append(f"- **{md(label)}:** {md(value) if value else '_not known yet_'}")
        lines.append("")
    if report.unread:
        lines += ["## What could not be read", ""] + [f"- {md(u)}" for u in report.unread] + [""]
    if report.sent:
        lines += ["## Sent", ""] + [f"- {md(s)}" for s in report.sent] + [""]
    lines.append(f"Timeline hash chain: last hash `{report.last_hash}` (`incidentbot verify`).")
    return "\n".join(lines) + "\n"


def _html(report: Report) -> str:
    h = rendering.for_html
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{h(_kind(report))}: {h(report.reference)}</title></head><body>",
        f"<h1>{h(_kind(report))} of a serious incident: {h(report.reference)}</h1>",
        f"<p>To {h(report.regime.authority)}, under {h(report.regime.title)}.</p>",
    ]
    if report.drill:
        parts.append("<p><strong>A drill: nothing here happened.</strong></p>")
    missing = report.missing()
    if missing and not report.complete:
        parts.append("<h2>Still missing</h2><ul>")
        parts += [f"<li>{h(FIELDS[name])}</li>" for name in missing]
        parts.append("</ul>")
    for title, rows in _sections(report):
        parts.append(f"<h2>{h(title)}</h2><dl>")
        for label, value in rows:
            shown = h(value) if value else "<em>not known yet</em>"
            parts.append(f"<dt>{h(label)}</dt><dd>{shown}</dd>")
        parts.append("</dl>")
    if report.unread:
        parts.append("<h2>What could not be read</h2><ul>")
        parts += [f"<li>{h(u)}</li>" for u in report.unread]
        parts.append("</ul>")
    if report.sent:
        parts.append(
            "<h2>Sent</h2><ul>" + "".join(f"<li>{h(s)}</li>" for s in report.sent) + "</ul>"
        )
    parts.append(f"<p>Timeline hash chain: last hash <code>{h(report.last_hash)}</code>.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def as_json(report: Report) -> dict[str, Any]:
    """The report's fields, named after the OECD AI incident reporting framework's (and
    the AI Incident Database's) where they map; the regime's own beside them."""
    v = report.values
    return {
        "report_type": "complete" if report.complete else "initial",
        "regime": report.regime.name,
        "authority": report.regime.authority,
        "incident_id": report.reference,
        "title": report.title,
        "description": v["what_happened"],
        "date_of_awareness": report.data.get("aware_at"),
        "date_reporting_due": report.data.get("due_at"),
        "first_signal": v["first_signal"] or None,
        "containment": v["containment"] or None,
        "reporter": {"organisation": v["provider"] or None, "contact": v["contact"] or None},
        "ai_system": {"name": v["ai_system"] or None},
        "harm_types": [k for k, a in report.data.get("criteria", {}).items() if a == "yes"],
        "harm_description": v["harm"] or None,
        "affected_stakeholders": v["affected"] or None,
        "countries": [c.strip() for c in v["member_states"].split(",") if c.strip()],
        "widespread": report.data.get("widespread"),
        "causal_link": report.data.get("causal_link"),
        "findings": report.findings,
        "corrective_measures": {
            "taken": report.measures_taken,
            "planned": report.measures_planned,
        },
        "severity": report.data.get("severity"),
        "missing_fields": report.missing(),
        "not_read": report.unread,
        "evidence_digests": [d for d in report.data.get("evidence_digests", []) if d],
        "timeline_last_hash": report.last_hash,
        "sent": report.sent,
        "drill": report.drill,
    }
