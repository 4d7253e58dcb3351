"""Publishing on the status page: a decision someone makes, never a side effect.

``publish`` checks who asks (``Act.PUBLISH``: the Commander, the Comms Lead, the
responders), refuses private incidents and drills with why, checks the words are
plain public text, and writes, in the caller's transaction, the incident's public
story, the update, the components' impact windows and the timeline event."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.incidents import timeline, typed_text
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act, Actor, Policy
from bot.statuspage.components import StatusPage
from bot.statuspage.states import BY_SEVERITY, IMPACTS, ComponentState, PublicStatus, impact
from bot.statuspage.states import worst as states_worst
from bot.store.models import ComponentImpact, Incident, PublicIncident, PublicUpdate, utcnow
from bot.text.rendering import plain

TITLE_MAX = 200
TEXT_MAX = 3000
_ALPHABET = string.ascii_lowercase + string.digits
# Slack's tokens for people, channels, groups and links, as commands send them.
_SLACK_TOKEN = re.compile(r"<([@#!][^<>\n]*|(?:https?|mailto):[^<>\n]*)>")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")


@dataclass(frozen=True)
class Publication:
    """What someone chose to tell the public; None: as last published (or the default)."""

    text: str
    title: str | None = None
    status: PublicStatus | None = None
    components: dict[str, ComponentState] | None = None


@dataclass(frozen=True)
class Published:
    public_id: str
    title: str
    status: PublicStatus
    components: dict[str, str]
    update_id: int
    first: bool  # the incident's first publication


def public_words(text: str, what: str = "The public text", *, mrkdwn: bool = False) -> str:
    """``text`` as the public reads it: plain words (no emphasis marks, emoji as characters).
    Mentions, channels, groups and links are refused, not quietly dropped: the person
    publishing says it again without them."""
    raw = str(text or "")
    if mrkdwn:
        token = _SLACK_TOKEN.search(raw)
        if token:
            kind = token.group(1)[:1]
            named = {"@": "a person", "#": "a channel", "!": "a group or @here"}.get(kind, "a link")
            raise InvalidInput(
                f"{what} names {named}: the status page is for customers, so it carries no "
                "mentions, channels or links. Say it in words."
            )
    words = plain(raw, mrkdwn=mrkdwn)
    if _URL.search(words):
        raise InvalidInput(
            f"{what} has a link: the status page carries no links (internal ones would leak). "
            "Say it in words."
        )
    return typed_text.cleaned(words, lines=True)


def _public_id(session: Session) -> str:
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        taken = session.scalar(
            select(PublicIncident.id).where(PublicIncident.public_id == candidate)
        )
        if taken is None:
            return candidate


def refusal_for(incident: Incident) -> str | None:
    """Why ``incident`` can never be published, or None."""
    if incident.private:
        return (
            f"{incident.reference} is private: nothing about a private incident goes on the "
            "status page, where anyone can read it."
        )
    if incident.drill:
        return (
            f"{incident.reference} is a drill: drills never reach the status page, so "
            "customers are not told of an outage that is not happening."
        )
    return None


def current(session: Session, incident_id: int) -> PublicIncident | None:
    return session.scalar(select(PublicIncident).where(PublicIncident.incident_id == incident_id))


def default_title(page: StatusPage, states: dict[str, ComponentState]) -> str:
    """A public title from the public components alone, never from the internal title."""
    hit = [k for k, s in states.items() if s is not ComponentState.OPERATIONAL]
    if not hit:
        return "Service disruption"
    names = [c.name for c in page.components if c.key in hit]
    worst = states_worst([states[k] for k in hit])
    return typed_text.shortened(f"{', '.join(names)}: {worst.label.lower()}", TITLE_MAX)


def offered(page: StatusPage, incident: Incident) -> dict[str, ComponentState]:
    """The components the incident's model or service affects, in its severity's state."""
    state = BY_SEVERITY.get(incident.severity, ComponentState.DEGRADED)
    return {c.key: state for c in page.offered_for(incident.service, incident.registered_model)}


def publish(
    session: Session,
    incident: Incident,
    page: StatusPage,
    policy: Policy,
    actor: Actor,
    publication: Publication,
    *,
    mrkdwn: bool = False,
    now: datetime | None = None,
) -> Published:
    """Publish, in the caller's transaction (the incident's row held); InvalidInput or
    NotAllowed, changing nothing, when it may not be."""
    why = refusal_for(incident)
    # Made private after it was published: its public story may still be closed (it
    # would otherwise read as unresolved for ever), and nothing else.
    closing = (
        incident.private
        and not incident.drill
        and publication.status is PublicStatus.RESOLVED
        and current(session, incident.id) is not None
    )
    if why and not closing:
        raise InvalidInput(why)
    policy.check(Act.PUBLISH, incident, actor)
    when = now or utcnow()
    text = public_words(publication.text, mrkdwn=mrkdwn)
    if not typed_text.shows_something(text):
        raise InvalidInput(
            "A publication needs words for customers: what is affected, what they may "
            "notice, and when they hear next."
        )
    if len(text) > TEXT_MAX:
        raise InvalidInput(
            f"That public text is {len(text):,} characters; keep it to {TEXT_MAX:,}."
        )
    story = current(session, incident.id)
    if story is not None and story.status == PublicStatus.RESOLVED:
        raise InvalidInput(
            f"{incident.reference} is resolved on the status page; its public story is over."
        )
    status = publication.status or (
        PublicStatus(story.status) if story else PublicStatus.INVESTIGATING
    )
    if publication.components is not None:
        states = dict(publication.components)
    elif story is not None:  # as last published (a component the file no longer has goes)
        states = {k: ComponentState(v) for k, v in story.components.items() if page.component(k)}
    else:
        states = offered(page, incident)
    unknown = sorted(set(states) - set(page.keys()))
    if unknown:
        raise InvalidInput(
            f"The status page has no component {', '.join(unknown)}; it has "
            f"{', '.join(page.keys())}."
        )
    if status is PublicStatus.RESOLVED:
        states = {k: ComponentState.OPERATIONAL for k in states}
    if publication.title is not None:
        title = public_words(publication.title, "The public title", mrkdwn=mrkdwn)
        title = " ".join(title.split())
        if not title:
            raise InvalidInput("The public title needs words customers understand.")
        if len(title) > TITLE_MAX:
            raise InvalidInput(f"Keep the public title to {TITLE_MAX} characters.")
    elif story is not None:
        title = story.title
    else:
        title = default_title(page, states)
    first = story is None
    if story is None:
        story = PublicIncident(
            incident_id=incident.id,
            public_id=_public_id(session),
            title=title,
            status=status.value,
            impact=impact(list(states.values())),
            components={},
            started_at=when,
            updated_at=when,
        )
        session.add(story)
        session.flush()
    _move_windows(session, story, {k: s for k, s in states.items()}, when)
    story.title = title
    story.status = status.value
    story.components = {k: s.value for k, s in states.items()}
    # The impact is the worst the incident did, kept once it is over.
    story.impact = max(story.impact, impact(list(states.values())), key=IMPACTS.index)
    story.updated_at = when
    if status is PublicStatus.RESOLVED:
        story.resolved_at = when
    update = PublicUpdate(
        public_incident_id=story.id,
        status=status.value,
        body=text,
        components=dict(story.components),
        published_at=when,
        published_by=actor.user,
    )
    session.add(update)
    session.flush()
    timeline.record(
        session,
        incident,
        EventKind.PUBLISHED,
        typed_text.shortened(f"Status page ({status.label}): {title}. {text}", 300),
        actor=actor.user,
        when=when,
        public_id=story.public_id,
        public_update=update.id,
        status=status.value,
        title=title,
        message=text,
        components=dict(story.components),
    )
    return Published(story.public_id, title, status, dict(story.components), update.id, first)


def _move_windows(
    session: Session, story: PublicIncident, states: dict[str, ComponentState], when: datetime
) -> None:
    """Close the windows of components whose state changed (or that left the story), and
    open one for each component now in a state other than operational."""
    open_rows = list(
        session.scalars(
            select(ComponentImpact).where(
                ComponentImpact.public_incident_id == story.id, ComponentImpact.ended_at.is_(None)
            )
        )
    )
    still = {}
    for row in open_rows:
        if states.get(row.component) == ComponentState(row.state):
            still[row.component] = row
        else:
            row.ended_at = when
    for key, state in states.items():
        if state is not ComponentState.OPERATIONAL and key not in still:
            session.add(
                ComponentImpact(
                    public_incident_id=story.id,
                    component=key,
                    state=state.value,
                    started_at=when,
                )
            )


def told(session: Session, incident_id: int) -> list[PublicUpdate]:
    """What the public was told about the incident, oldest first (the post-mortem's list)."""
    story = current(session, incident_id)
    if story is None:
        return []
    return list(
        session.scalars(
            select(PublicUpdate)
            .where(PublicUpdate.public_incident_id == story.id)
            .order_by(PublicUpdate.published_at, PublicUpdate.id)
        )
    )
