"""The review as a document: HTML with its charts inside, Markdown beside its chart files,
or the incident log as CSV for the team's own tools."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bot.documents.templating import BrokenTemplate, render_document
from bot.incidents.categories import category_label
from bot.review import charts as drawing
from bot.review.figures import Review, problems

FORMATS = {"html": "review/report.html.j2", "md": "review/report.md.j2", "csv": None}
# A cell a spreadsheet would read as a formula (or a command) starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LOG_COLUMNS: tuple[tuple[str, Callable[[Any], str]], ...] = (
    ("reference", lambda r: f"INC-{r.id}"),
    ("declared_at", lambda r: _iso(r.declared)),
    ("severity", lambda r: r.severity),
    ("status", lambda r: r.status),
    ("private", lambda r: "yes" if r.private else "no"),
    ("drill", lambda r: r.drill or ""),
    ("title", lambda r: "" if r.private else r.title),
    ("model_or_service", lambda r: r.model_or_service),
    ("failure_category", lambda r: category_label(r.category) or ""),
    ("detection", lambda r: r.detection),
    ("detected", lambda r: _iso(r.detected)),
    ("acknowledged", lambda r: _iso(r.acknowledged)),
    ("mitigated", lambda r: _iso(r.mitigated)),
    ("resolved", lambda r: _iso(r.resolved)),
    ("minutes_to_detect", lambda r: _minutes(r.to_detect)),
    ("minutes_to_acknowledge", lambda r: _minutes(r.to_acknowledge)),
    ("minutes_to_mitigate", lambda r: _minutes(r.to_mitigate)),
    ("minutes_to_resolve", lambda r: _minutes(r.to_resolve)),
    ("first_notice", lambda r: _iso(r.first_notice)),
    ("status_updates", lambda r: str(r.updates_sent)),
    ("postmortem_published", lambda r: _iso(r.postmortem_at)),
    ("expected_response_missed", lambda r: "; ".join(problems(r))),
)


class ReportError(Exception):
    """The report cannot be produced (a broken template); the message names the file and line."""


@dataclass(frozen=True)
class Report:
    text: str
    charts: dict[str, bytes] = field(default_factory=dict)  # PNGs, by name


def produce(
    review: Review, fmt: str, templates: Path | None = None, *, charts: bool = True
) -> Report:
    """The document in ``fmt``; without ``charts`` none are drawn (Markdown on a terminal)."""
    if fmt == "csv":
        return Report(incident_log(review.incidents))
    drawn = (
        drawing.all_charts(review.incidents, review.period.start, review.period.end)
        if charts
        else {}
    )
    data = document_data(review)
    if fmt == "html":
        data["charts"] = {k: base64.b64encode(v).decode() for k, v in drawn.items()}
    else:
        data["charts"] = {k: chart_filename(review, k) for k in drawn}
    try:
        text = render_document(
            templates, str(FORMATS[fmt]), data, html=fmt == "html", what="review"
        )
    except BrokenTemplate as problem:
        raise ReportError(str(problem)) from None
    return Report(text, drawn)


def chart_filename(review: Review, name: str) -> str:
    return f"review-{_slug(review.period.label)}-{name}.png"


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label).strip("-")


def document_data(review: Review) -> dict[str, Any]:
    """Everything a review template may use: plain data, no titles of private incidents."""
    return {
        "period": {
            "label": review.period.label,
            "start": review.period.start,
            "end": review.period.end,
        },
        "previous": {
            "label": review.previous.label,
            "start": review.previous.start,
            "end": review.previous.end,
        },
        "generated_at": review.now,
        **review.figures,
    }


def incident_log(frame: pd.DataFrame) -> str:
    """One row per incident, oldest first; cells a spreadsheet would run are neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in LOG_COLUMNS])
    for row in frame.sort_values(["declared_at", "id"]).itertuples():
        writer.writerow([neutralised(cell(row)) for _, cell in LOG_COLUMNS])
    return out.getvalue()


def neutralised(value: Any) -> str:
    """A cell as text that a spreadsheet shows rather than evaluates (a leading quote)."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _iso(moment: Any) -> str:
    return "" if moment is None or pd.isna(moment) else pd.Timestamp(moment).isoformat()


def _minutes(seconds: Any) -> str:
    return "" if seconds is None or pd.isna(seconds) else f"{seconds / 60:.1f}"
