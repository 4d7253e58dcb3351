"""A post-mortem published to the team's wiki (Confluence): rendered from the HTML
template into the storage format, its chart attached, on the incident's one page (a new
version each time), and recorded on the timeline.

Read, close, call, write: the document is assembled in one transaction, the wiki is
called with none open, and what it answered is recorded in a second one (with whatever
the caller owes beside it, ``also``: Slack work for the bot to perform).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import escape
from sqlalchemy.orm import Session

from bot.documents import postmortem
from bot.documents.storage import with_images
from bot.incidents import timeline
from bot.incidents.kinds import EventKind
from bot.store.db import Database
from bot.store.models import Incident, PublishedPage, utcnow
from bot.tracking.confluence import Attachment, Confluence

WITHHELD = "Private incident (title withheld)"
CHART = "timeline.png"


@dataclass(frozen=True)
class Outcome:
    reference: str
    title: str
    url: str | None
    version: int
    first: bool  # the page is new
    draft: bool


def withholds(incident: Incident) -> bool:
    """A private incident's title stays off the wiki unless its Commander shared it."""
    return incident.private and not incident.title_shared


def page_title(incident: Incident) -> str:
    if withholds(incident):
        return f"Post-mortem {incident.reference} (private incident)"
    return f"Post-mortem {incident.reference}: {incident.title}"


def publish(
    db: Database,
    wiki: Confluence,
    incident_id: int,
    names: Mapping[str, str],
    by: str | None,
    templates_dir: Path | None = None,
    also: Callable[[Session, Incident, Outcome], None] | None = None,
    *,
    awareness: bool,
) -> Outcome:
    """Raises ``postmortem.PostmortemError`` (a broken template) or the wiki's
    ``TrackerRefused``; nothing is recorded then. ``awareness``: serious-incident
    reporting is on, so the page lists when the provider became aware among the key
    times, as the Markdown and HTML post-mortems do (required: a caller cannot forget it)."""
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise postmortem.PostmortemError(f"There is no incident {incident_id}.")
        context: dict[str, Any] = postmortem.assemble(session, incident, names, awareness=awareness)
        known = session.get(PublishedPage, incident_id)
        page_id = known.page_id if known else None
        title, draft, hidden = page_title(incident), incident.is_open, incident.title
        withheld = withholds(incident)
    if withheld:
        context["incident"] = {**context["incident"], "title": WITHHELD, "description": None}
    document, png = postmortem.produce_from(context, "html", templates_dir)
    html = document.text
    if withheld and hidden.strip():  # wherever else the timeline repeated it
        html = html.replace(str(escape(hidden)), WITHHELD)  # as the template escaped it
    storage, images = with_images(html, chart=CHART)
    if not any(name == CHART for name, _ in images):  # a team template without the chart
        images.insert(0, (CHART, png))
    published = wiki.publish(
        title,
        storage,
        [Attachment(name, data) for name, data in images],
        page_id=page_id,
        message="Assembled from the timeline by incidentbot" + (" (draft)" if draft else ""),
    )
    with db.begin() as session:
        incident = session.get(Incident, incident_id, with_for_update=True)
        assert incident is not None
        row = session.get(PublishedPage, incident_id)
        first = row is None
        if row is None:
            row = PublishedPage(incident_id=incident_id, page_id=published.page_id, title=title)
            session.add(row)
        row.page_id, row.title, row.url = published.page_id, title, published.url
        row.version, row.published_at, row.published_by = published.version, utcnow(), by
        if published.url:
            incident.postmortem_url = published.url
        timeline.record(
            session,
            incident,
            EventKind.POSTMORTEM_PUBLISHED,
            f"{'Draft post-mortem' if draft else 'Post-mortem'} published to Confluence "
            f"(version {published.version})",
            actor=by,
            permalink=published.url,
            page_id=published.page_id,
            version=published.version,
            draft=draft,
            wiki="confluence",
        )
        outcome = Outcome(incident.reference, title, published.url, published.version, first, draft)
        if also is not None:
            also(session, incident, outcome)
    return outcome
