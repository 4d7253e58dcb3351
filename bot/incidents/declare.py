"""Declaring an incident: validate what was asked, store it, write the first event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.incidents import timeline, typed_text
from bot.incidents.categories import FAILURE_CATEGORIES
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.severity import Severity
from bot.store.models import Incident, utcnow

TITLE_MAX = 200
SERVICE_MAX = 200
DESCRIPTION_MAX = 3000


# How an incident was found, as the declare form offers it (the review counts them).
DETECTIONS = {
    "alert": "Our monitoring (an alert)",
    "person": "Someone on the team noticed",
    "external": "Reported from outside (a customer, partner or regulator)",
}


@dataclass(frozen=True)
class Declaration:
    """What a person or an alert asks for; checked by ``validate`` before anything is stored."""

    title: str
    severity: Severity
    declared_by: str | None
    service: str | None = None
    failure_category: str | None = None
    description: str | None = None
    # For incidents a monitor raised: when its alert started firing, and which it was.
    detected_at: datetime | None = None
    detected_by: str | None = None
    # A private channel, a broadcast without the title (PRODUCT.md, private incidents).
    private: bool = False
    detection: str | None = None  # how it was found, a key of DETECTIONS


def validate_title(title: str) -> str:
    cleaned = typed_text.cleaned(title, lines=False)
    if not typed_text.shows_something(cleaned):
        raise InvalidInput("The incident needs a title: say in a few words what is wrong.")
    if len(cleaned) > TITLE_MAX:
        raise InvalidInput(
            f"That title is {len(cleaned)} characters; keep it to {TITLE_MAX} and put the "
            "details in the description or a note."
        )
    return cleaned


def validate(declaration: Declaration) -> Declaration:
    """Return a cleaned copy, or raise InvalidInput saying what to change."""
    service = typed_text.cleaned(declaration.service or "", lines=False) or None
    if service and len(service) > SERVICE_MAX:
        raise InvalidInput(f"The model or service name is longer than {SERVICE_MAX} characters.")
    category = declaration.failure_category or None
    if category and category not in FAILURE_CATEGORIES:
        raise InvalidInput(f"`{category[:40]}` is not a failure category this bot knows.")
    description = typed_text.cleaned(declaration.description or "", lines=True) or None
    if description and len(description) > DESCRIPTION_MAX:
        raise InvalidInput(
            f"The description is {len(description)} characters; keep it to {DESCRIPTION_MAX}."
        )
    if declaration.detection is not None and declaration.detection not in DETECTIONS:
        raise InvalidInput(
            f"`{declaration.detection[:40]}` is not a way this bot knows incidents are found."
        )
    return Declaration(
        title=validate_title(declaration.title),
        severity=declaration.severity,
        declared_by=declaration.declared_by,
        service=service,
        failure_category=category,
        description=description,
        detected_at=declaration.detected_at,
        detected_by=declaration.detected_by,
        detection=declaration.detection,
        private=declaration.private,
    )


def declare(session: Session, declaration: Declaration, *, now: datetime | None = None) -> Incident:
    """Store a new open incident and its ``declared`` event; the caller commits."""
    clean = validate(declaration)
    when = now or utcnow()
    incident = Incident(
        title=clean.title,
        severity=clean.severity.value,
        status="investigating",
        service=clean.service,
        failure_category=clean.failure_category,
        description=clean.description,
        declared_by=clean.declared_by,
        declared_at=when,
        provisioning_claimed_at=when,
        detected_at=clean.detected_at,
        detected_by=clean.detected_by,
        private=clean.private,
        detection=clean.detection,
        acknowledged_at=when if clean.declared_by else None,  # a person is at work
    )
    session.add(incident)
    session.flush()  # assigns the id the event refers to
    timeline.record(
        session,
        incident,
        EventKind.DECLARED,
        f"{clean.severity.label} {'private ' if clean.private else ''}incident declared: "
        f"{clean.title}",
        actor=clean.declared_by,
        when=when,
        severity=clean.severity.value,
        service=clean.service,
        failure_category=clean.failure_category,
        detected_by=clean.detected_by,
        detection=clean.detection,
        private=clean.private,
    )
    return incident
