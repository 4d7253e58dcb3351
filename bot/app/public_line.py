"""What the pinned summary and ``/incident status`` show of the public status page: the
public story in a line (its status, its public title, when the public was last told), or,
while nothing was published, the command that publishes. Kept apart from
``app/status_page`` (the use cases, which owe effects): the summary's redraw reads this."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.slack.blocks.kit import slack_date
from bot.slack.blocks.text import escape
from bot.statuspage import publishing
from bot.statuspage.states import PublicStatus
from bot.store.models import Incident

NOTHING_YET = (
    ":globe_with_meridians: *Status page:* nothing published yet "
    "(`/incident update --public <what customers should know>`)."
)


def public_line(session: Session, settings: Settings, incident: Incident) -> str | None:
    """The line (mrkdwn), or None where there is nothing to say: no status page, or an
    incident that never goes on it (private, a drill) and was never published."""
    if settings.status_page is None:
        return None
    story = publishing.current(session, incident.id)
    if story is None:
        if not incident.is_open or publishing.refusal_for(incident) is not None:
            return None
        return NOTHING_YET
    try:
        status = PublicStatus(story.status).label
    except ValueError:
        status = escape(story.status)
    return (
        f":globe_with_meridians: *Status page:* {status}, “{escape(story.title)}”, "
        f"last told {slack_date(story.updated_at)}."
    )
