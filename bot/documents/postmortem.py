"""The blameless post-mortem: its data assembled from the timeline, rendered from templates.

``assemble`` reads an incident's events once and returns plain data (dicts,
lists, strings, datetimes): the same data our templates and a team's own
templates (``INCIDENTBOT_TEMPLATES_DIR``) get. Sections the timeline can fill
are filled; where only people know the answer, the templates ask for it.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.group_lifecycle import source_name
from bot.diagnosis.asking import QUALITY_LABELS
from bot.documents.templating import BrokenTemplate, render_document
from bot.incidents import key_times, timeline
from bot.incidents.categories import category_label
from bot.incidents.detection import ALERT_QUESTION, found
from bot.incidents.kinds import EventKind
from bot.incidents.roles import listed
from bot.incidents.severity import Severity
from bot.incidents.triage_questions import BY_KEY, answer_label
from bot.reporting import chain
from bot.store.models import Incident, TimelineEvent, utcnow
from bot.text import rendering

FORMATS = {"md": "postmortem.md.j2", "html": "postmortem.html.j2"}
# Label keys that name a model version in alerts (Alertmanager, Grafana, generic).
VERSION_LABELS = ("model_version", "version", "model_tag", "revision", "image_tag")
EVENT_TEXT_MAX = 500


class PostmortemError(Exception):
    """The document cannot be produced; the message says why and what to fix."""


@dataclass(frozen=True)
class Document:
    text: str
    filename: str


def assemble(
    session: Session,
    incident: Incident,
    names: Mapping[str, str] | None = None,
    now: datetime | None = None,
    *,
    awareness: bool = False,
) -> dict[str, Any]:
    """Everything a post-mortem template may use, from one read of the timeline.
    ``awareness``: reporting is on, so a serious incident's awareness is a key time."""
    events = timeline.events(session, incident.id)
    context = build(incident, events, names or {}, now or utcnow(), awareness=awareness)
    context["timeline_hash"] = chain.head(session, incident.id)  # `incidentbot verify`
    return context


class _Reading:
    """One pass over the timeline, sorting what each event says into the document's sections."""

    def __init__(
        self,
        person: Callable[[str | None], str | None],
        names: Mapping[str, str],
        resolved: bool = False,
    ) -> None:
        self.person = person
        self.names = dict(names)
        self.resolved = resolved  # answers are said in the past ("Significant harm", not "now")
        self.entries: list[dict[str, Any]] = []
        self.kinds: Counter[str] = Counter()
        self.triage: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, str] = {}  # each triage question's latest answer, as a key
        self.alerts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.public: list[dict[str, Any]] = []  # what the status page told the public
        self.proposals: list[dict[str, Any]] = []
        self.severity_changes: list[dict[str, Any]] = []
        self.role_changes: list[dict[str, Any]] = []
        self.drift: list[dict[str, Any]] = []
        self.fairness: list[dict[str, Any]] = []
        self.items: list[TimelineEvent] = []
        self.done_items: set[int] = set()
        self.tickets: dict[int, dict[str, Any]] = {}
        self.resolution: str | None = None
        self.model_cards: list[dict[str, Any]] = []
        self.containment: list[dict[str, Any]] = []
        self._by_kind: dict[str, Callable[[TimelineEvent, dict[str, Any]], None]] = {
            "triage_answered": self._triage,
            "triage_note": self._triage,
            "alert_fired": self._alert,
            "status_update": self._update,
            "published": lambda e, d: self.public.append(
                {
                    "at": e.occurred_at,
                    "by": self.person(e.actor),
                    "status": str(d.get("status", "")).capitalize(),
                    "title": str(d.get("title", "")),
                    "text": str(d.get("message") or e.text),
                }
            ),
            "triage_proposed": lambda e, d: self.proposals.append(
                {"at": e.occurred_at, "cause": d.get("cause"), "text": e.text}
            ),
            "severity_changed": lambda e, d: self.severity_changes.append(self._said(e)),
            "role_assigned": lambda e, d: self.role_changes.append(self._said(e)),
            "role_handed_over": lambda e, d: self.role_changes.append(self._said(e)),
            "drift_found": lambda e, d: self.drift.append(
                {"at": e.occurred_at, "text": e.text, "data": dict(d)}
            ),
            "fairness_found": lambda e, d: self.fairness.append(fairness_finding(e, d)),
            "action_item": lambda e, d: self.items.append(e),
            "action_item_done": lambda e, d: self.done_items.add(int(d.get("item_id", 0))),
            "ticket_filed": lambda e, d: self.tickets.__setitem__(
                int(d.get("item_id", 0)), {"key": d.get("key"), "url": d.get("url")}
            ),
            "resolved": self._resolved,
            "model_card": lambda e, d: self.model_cards.append(dict(d)),
            "model_rolled_back": self._contained,
            "model_rollback_undone": self._contained,
            "containment_run": self._contained,
            "containment_undone": self._contained,
        }

    def read(self, event: TimelineEvent) -> None:
        data = event.data or {}
        self.kinds[event.kind] += 1
        self.entries.append(
            {
                "at": event.occurred_at,
                "kind": event.kind,
                "label": timeline.label(event.kind),
                "actor": self.person(event.actor),
                "text": _short(self.words(event)),
                "link": data.get("permalink") if event.kind == EventKind.PINNED_MESSAGE else None,
            }
        )
        handler = self._by_kind.get(event.kind)
        if handler is not None:
            handler(event, data)

    def words(self, event: TimelineEvent) -> str:
        """The event in plain words, people by display name; the template escapes it."""
        return timeline.plain(event, self.names)

    def _said(self, event: TimelineEvent) -> dict[str, Any]:
        return {"at": event.occurred_at, "by": self.person(event.actor), "text": self.words(event)}

    def _triage(self, event: TimelineEvent, data: dict[str, Any]) -> None:
        question = str(data.get("question"))
        if question not in BY_KEY:
            return
        asked = self.triage.setdefault(
            question, {"question": BY_KEY[question].text, "answer": None, "by": None, "notes": []}
        )
        if event.kind == EventKind.TRIAGE_NOTE:
            asked["notes"].append(event.text)
        else:
            self.answers[question] = str(data.get("answer"))
            answer = answer_label(question, self.answers[question], resolved=self.resolved)
            asked.update(answer=answer, by=self.person(event.actor))

    def _alert(self, event: TimelineEvent, data: dict[str, Any]) -> None:
        source = data.get("source")
        named = source_name(source) if isinstance(source, str) and source else None
        # The title alone: the event's own text ("Alertmanager alert fired: X") would say
        # "alert" twice in "The first signal was an alert: …" (older events lack "title").
        said = event.text.removeprefix(f"{named} alert fired: ") if named else event.text
        self.alerts.append(
            {
                "at": event.occurred_at,
                "title": data.get("title") or said,
                "source": named,
                "labels": dict(data.get("labels") or {}),
                "annotations": dict(data.get("annotations") or {}),
            }
        )

    def _update(self, event: TimelineEvent, data: dict[str, Any]) -> None:
        self.updates.append(
            {
                "at": event.occurred_at,
                "by": self.person(event.actor),
                "kind": str(data.get("update_kind", "update")).replace("_", " "),
                "text": str(data.get("message") or event.text),
            }
        )

    def _contained(self, event: TimelineEvent, data: dict[str, Any]) -> None:
        ok = bool(data.get("ok", True))  # a rollback is recorded only once it held
        self.containment.append(
            {
                "at": event.occurred_at,
                "by": self.person(event.actor),
                "text": event.text,
                "ok": ok,
                "reason": data.get("reason") or None,
                "answer": data.get("excerpt") or None,
                "kind": event.kind,
                "data": dict(data),
            }
        )

    def lineage(self) -> dict[str, Any] | None:
        """Which version served at the first signal, and which was last good."""
        if not self.model_cards:
            return None
        card = self.model_cards[0]
        versions = card.get("versions") or []
        serving = card.get("serving")
        created = next((v.get("created") for v in versions if v.get("version") == serving), None)
        rolled = next(
            (c["data"] for c in self.containment if c["kind"] == "model_rolled_back"), None
        )
        older = [v["version"] for v in versions if serving and v.get("version", 0) < serving]
        last_good = rolled.get("version") if rolled else (max(older) if older else None)
        return {
            "model": card.get("model"),
            "alias": card.get("alias"),
            "serving": serving,
            "serving_since": datetime.fromisoformat(created) if created else None,
            "last_good": last_good,
            "rolled_back": bool(rolled),
            "finding": card.get("finding"),
        }

    def _resolved(self, event: TimelineEvent, data: dict[str, Any]) -> None:
        self.resolution = data.get("summary") or self.resolution

    def action_items(self) -> list[dict[str, Any]]:
        return [
            {
                "text": str(item.data.get("item", "")),
                "owner": self.person(item.data.get("owner")),
                "due": item.data.get("due"),
                "done": item.id in self.done_items,
                "ticket": self.tickets.get(item.id),
                "added_by": self.person(item.actor),
                "at": item.occurred_at,
            }
            for item in self.items
        ]


def build(
    incident: Incident,
    events: Sequence[TimelineEvent],
    names: Mapping[str, str],
    now: datetime,
    *,
    awareness: bool = False,
) -> dict[str, Any]:
    """The template data: the incident's facts, its key times, and the sections."""

    def person(user: str | None) -> str | None:
        return f"@{names.get(user, user)}" if user else None

    reading = _Reading(person, names, resolved=not incident.is_open)
    for event in events:
        reading.read(event)
    times = key_times.derive(incident, events, awareness=awareness)
    action_items = reading.action_items()
    first_update = reading.updates[0]["at"] if reading.updates else None
    context: dict[str, Any] = {
        "incident": _facts(incident, person),
        "draft": incident.is_open,
        "generated_at": now,
        "key_times": [
            {
                "name": which.value,
                "label": which.label,
                "at": times.at(which),
                # a time still to come says "not yet" once, not again as how we know it
                "source": times[which].source if times.at(which) else "",
                "corrected_by": person(times[which].corrected_by),
            }
            for which in times.shown()
        ],
        "figures": [{"label": f.label, "duration": f.duration} for f in times.figures()],
        "timeline": reading.entries,
        "event_count": len(events),
        "triage": list(reading.triage.values()),
        "impact": reading.triage.get("impact", {}).get("answer"),
        "alerts": reading.alerts,
        "detection": detection(incident, reading),
        "model_versions": _versions(reading.alerts),
        "drift": reading.drift,
        "fairness": reading.fairness,
        "lineage": reading.lineage(),
        "containment": reading.containment,
        "time_to_contain": _time_to_contain(reading.containment, times),
        "roles": [
            {"role": role.info.title, "holder": person(incident.holder(role))}
            for role in listed(incident.holder, False)
        ],
        "role_changes": reading.role_changes,
        "severity_changes": reading.severity_changes,
        "proposals": reading.proposals,
        "resolution": reading.resolution,
        "updates": reading.updates,
        "public": reading.public,
        "first_update_after": first_update - incident.declared_at if first_update else None,
        "nudges": reading.kinds["update_nudged"],
        "pinned": reading.kinds["pinned_message"],
        "notes": reading.kinds["note"],
        "action_items": action_items,
        "open_action_items": [a for a in action_items if not a["done"]],
    }
    context["went_well"], context["went_badly"] = observations(context, times)
    return context


FAIRNESS_MOVES_SHOWN = 5


def fairness_finding(event: TimelineEvent, data: Mapping[str, Any]) -> dict[str, Any]:
    """A fairness finding as the document shows it: the verdict, each breakdown's parity
    and largest moves, the quality by window (the figures as the timeline kept them)."""
    breakdowns = []
    for breakdown in data.get("breakdowns") or []:
        ref, cur = breakdown.get("reference") or {}, breakdown.get("current") or {}
        moves = [
            {
                "group": name,
                "before": windows["reference"]["selection_rate"],
                "after": windows["current"]["selection_rate"],
            }
            for name, windows in (breakdown.get("groups") or {}).items()
            if (windows.get("change") or {}).get("selection_rate") is not None
        ]
        moves.sort(key=lambda m: -abs(m["after"] - m["before"]))
        breakdowns.append(
            {
                "group": breakdown.get("group"),
                "parity": (
                    ref.get("demographic_parity_ratio"),
                    cur.get("demographic_parity_ratio"),
                ),
                "rule": cur.get("four_fifths_rule"),
                "odds": (
                    ref.get("equalized_odds_difference"),
                    cur.get("equalized_odds_difference"),
                ),
                "moves": moves[:FAIRNESS_MOVES_SHOWN],
                "masked": bool(breakdown.get("masked")),
            }
        )
    overall = data.get("overall") or {}
    quality = [
        (label, (overall.get("reference") or {}).get(key), (overall.get("current") or {}).get(key))
        for key, label in QUALITY_LABELS
        if key in (overall.get("current") or {})
    ]
    return {
        "at": event.occurred_at,
        "verdict": str(data.get("verdict") or event.text),
        "reference": data.get("reference_data"),
        "current": data.get("current_data"),
        "breached": bool(data.get("breached")),
        "breakdowns": breakdowns,
        "quality": quality if data.get("label") else [],
        "data": dict(data),
    }


def detection(incident: Incident, reading: _Reading) -> dict[str, Any]:
    """Whether monitoring caught the failure, and who said so. ``alerted`` is True when an
    alert is on the timeline or behind the incident, else what triage answered to "Did a
    monitoring alert fire?", else how the declarer said it was found; None when nobody said
    (or triage answered "Don't know")."""
    asked = reading.triage.get(ALERT_QUESTION, {})
    said = found(
        alert_recorded=bool(reading.alerts or incident.detected_by or incident.first_alert_at),
        triage_answer=reading.answers.get(ALERT_QUESTION),
        declared=incident.detection,
    )
    source = said.source
    return {
        "alerted": said.alerted,
        "source": source,  # "alert", "triage", "declaration" or None
        "answered_by": asked.get("by") if source == "triage" else None,
        "notes": list(asked.get("notes", [])),  # "Which alert, and when did it fire?"
    }


def _time_to_contain(
    done: Sequence[Mapping[str, Any]], times: key_times.KeyTimes
) -> timedelta | None:
    """From the first signal to the first containment move that worked."""
    worked = [c["at"] for c in done if c["ok"] and not str(c["kind"]).endswith("undone")]
    start = times.at(key_times.KeyTime.DETECTED)
    return min(worked) - start if worked and start else None


def _facts(incident: Incident, person: Callable[[str | None], str | None]) -> dict[str, Any]:
    severity = Severity(incident.severity)
    return {
        "reference": incident.reference,
        "title": incident.title,
        "severity": severity.label,
        "severity_name": severity.info.name,
        "severity_meaning": severity.info.meaning_of(incident.is_open),
        "expected_response": severity.info.expectation,
        "status": incident.status,
        "is_open": incident.is_open,
        "service": incident.service,
        "category": category_label(incident.failure_category),
        "description": incident.description,
        "declared_by": person(incident.declared_by),
        "detected_by": incident.detected_by,
        "channel": incident.channel_name,
        "declared_at": incident.declared_at,
        "resolved_at": incident.resolved_at,
    }


def observations(
    context: Mapping[str, Any], times: key_times.KeyTimes
) -> tuple[list[str], list[str]]:
    """What the timeline itself says went well or badly; people add the rest."""
    well: list[str] = []
    badly: list[str] = []
    detect = times.figures()[0].duration
    alerted = context["detection"]["alerted"]
    if alerted and not context["incident"]["declared_by"]:
        well.append("Monitoring raised the alert that opened the incident.")
    elif alerted:
        well.append("Monitoring caught it: an alert fired, though a person declared the incident.")
    elif alerted is None:
        badly.append(
            "Nobody said whether an alert fired. Did monitoring catch it, and if not, "
            "what would have?"
        )
    else:
        badly.append(
            "No alert fired: a person noticed first. What monitoring would have caught it?"
        )
    if detect is not None and detect > timedelta(minutes=30):
        badly.append(f"{key_times.spoken(detect)} passed between the first signal and declaring.")
    first_update = context["first_update_after"]
    if first_update is not None and first_update <= timedelta(minutes=30):
        after = key_times.spoken(first_update)
        well.append(f"Stakeholders had a first notice {after} after declaring.")
    elif first_update is None:
        badly.append("No status update reached stakeholders.")
    if context["nudges"]:
        nudged = rendering.times(context["nudges"])
        badly.append(f"A status update fell overdue and the bot nudged {nudged}.")
    for finding in context.get("fairness", []):
        if finding["breached"]:
            badly.append(
                f"A fairness analysis found the four-fifths rule breached: {finding['verdict']}"
            )
    if any(r["holder"] for r in context["roles"][1:]):
        well.append("Roles were taken, so each lineage question had an owner.")
    return well, badly


def _versions(alerts: Sequence[Mapping[str, Any]]) -> list[str]:
    found: dict[str, None] = {}
    for alert in alerts:
        for key in VERSION_LABELS:
            value = alert["labels"].get(key) or alert["annotations"].get(key)
            if value:
                found[f"{key}={value}"] = None
    return list(found)


def _short(text: str) -> str:
    return text if len(text) <= EVENT_TEXT_MAX else text[: EVENT_TEXT_MAX - 1] + "…"


def render(
    context: Mapping[str, Any],
    fmt: str = "md",
    templates_dir: Path | None = None,
    chart: bytes | None = None,
) -> Document:
    """Render the whole document, or raise PostmortemError: never half a document."""
    if fmt not in FORMATS:
        raise PostmortemError(f"Unknown format {fmt!r}; use md or html.")
    data = dict(context)
    if chart is not None:
        data["chart_png_base64"] = base64.b64encode(chart).decode("ascii")
        data["fairness"] = [
            {**finding, "chart_png_base64": _fairness_chart(finding["data"])}
            for finding in context.get("fairness", [])
        ]
    try:
        text = render_document(
            templates_dir, FORMATS[fmt], data, html=fmt == "html", what="post-mortem"
        )
    except BrokenTemplate as problem:
        raise PostmortemError(str(problem)) from None
    reference = str(context["incident"]["reference"])
    suffix = "-draft" if context.get("draft") else ""
    return Document(text.strip() + "\n", f"postmortem-{reference}{suffix}.{fmt}")


def _fairness_chart(data: Mapping[str, Any]) -> str | None:
    """A stored fairness finding's chart, drawn again from its figures (HTML only)."""
    from bot.documents.plotting import fairness_png

    if not data.get("breakdowns") or "verdict" not in data:
        return None
    return base64.b64encode(fairness_png(data)).decode("ascii")


def chart(context: Mapping[str, Any]) -> bytes:
    from bot.documents.plotting import timeline_png

    return timeline_png(
        context["key_times"],
        context["timeline"],
        context["generated_at"],
        f"{context['incident']['reference']}: phases and events",
    )


def produce(
    session: Session,
    incident: Incident,
    fmt: str,
    templates_dir: Path | None = None,
    names: Mapping[str, str] | None = None,
) -> tuple[Document, bytes]:
    """The document in ``fmt`` and its chart (embedded in HTML, a separate PNG otherwise)."""
    return produce_from(assemble(session, incident, names), fmt, templates_dir)


def produce_from(
    context: Mapping[str, Any], fmt: str, templates_dir: Path | None = None
) -> tuple[Document, bytes]:
    """``produce`` from data already assembled: no database needed (and none held)."""
    png = chart(context)
    return render(context, fmt, templates_dir, png if fmt == "html" else None), png


def find(session: Session, reference: str) -> Incident:
    """``INC-12``, ``inc-12`` or ``12``."""
    number = reference.strip().upper().removeprefix("INC-")
    if not (number.isascii() and number.isdigit() and len(number) <= 12):
        raise PostmortemError(
            f"“{reference.strip()[:40]}” is not an incident's reference; give one like INC-12 "
            "or 12."
        )
    incident = session.get(Incident, int(number))
    if incident is None:
        newest = session.scalar(select(func.max(Incident.id)))
        known = f"the newest is INC-{newest}" if newest else "it holds no incident yet"
        raise PostmortemError(f"There is no incident INC-{int(number)} in this database ({known}).")
    return incident
