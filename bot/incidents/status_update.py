"""Status updates: what stakeholders were told, when, and the clock it restarts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.incidents import reminders, timeline, typed_text
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.store.models import Incident, utcnow

# Slack shows a section of up to 3,000 characters; an update is one message.
UPDATE_MAX = 3000
# An update up to 10% past its cadence still counts as on time (the review's share on cadence).
CADENCE_GRACE = 0.1


class UpdateKind(StrEnum):
    FIRST_NOTICE = "first_notice"
    UPDATE = "update"
    RESOLUTION = "resolution"

    @property
    def label(self) -> str:
        return {"first_notice": "First notice", "update": "Status update"}.get(
            self.value, "Resolution"
        )


def validate_text(text: str) -> str:
    cleaned = typed_text.cleaned(text, lines=True)
    if not typed_text.shows_something(cleaned):
        raise InvalidInput(
            "An update needs words: say what is affected, what is being done, what readers "
            "must do, and when the next update comes."
        )
    if len(cleaned) > UPDATE_MAX:
        raise InvalidInput(
            f"That update is {len(cleaned)} characters; Slack shows {UPDATE_MAX} in one "
            "message. Shorten it, or link to the details."
        )
    return cleaned


def has_update(session: Session, incident_id: int) -> bool:
    return timeline.has_event(session, incident_id, "status_update")


def post_update(
    session: Session,
    incident: Incident,
    text: str,
    *,
    by: str | None,
    kind: UpdateKind,
    cadence: reminders.Cadence,
    now: datetime | None = None,
    words: str | None = None,
) -> str:
    """Record an update sent to stakeholders and restart the cadence; returns the clean text.

    ``words``: the update in plain words, as the timeline keeps it (no emphasis marks or
    emoji codes that only Slack draws); ``text`` itself when it has none."""
    if not incident.is_open and kind is not UpdateKind.RESOLUTION:
        raise InvalidInput(
            f"{incident.reference} is resolved; no more status updates are due. "
            "The resolution message has gone out."
        )
    cleaned = validate_text(text)
    plain = typed_text.cleaned(words, lines=True) if words else cleaned
    when = now or utcnow()
    if kind is UpdateKind.UPDATE and not has_update(session, incident.id):
        kind = UpdateKind.FIRST_NOTICE  # the first one stakeholders get is the first notice
    every = reminders.cadence_of(cadence, incident)
    since = incident.last_update_at or incident.declared_at
    late = None if every is None else (when - since) > every * (1 + CADENCE_GRACE)
    timeline.record(
        session,
        incident,
        EventKind.STATUS_UPDATE,
        typed_text.shortened(f"{kind.label}: {plain}", 300),
        actor=by,
        when=when,
        update_kind=kind.value,
        message=plain,
        late=late,
    )
    if incident.is_open:
        reminders.update_sent(session, incident, cadence, when)
    else:
        incident.last_update_at = when
    return cleaned
