"""The status page from Slack: publishing (``/incident update --public``, the update
form's *Status page* section, the resolution offered when an incident is resolved),
and copying each publication to Atlassian Statuspage through the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.app import effects
from bot.app.common import apply
from bot.app.effect_kinds import Message, Post, RedrawSummary, SyncStatuspage
from bot.incidents import queries, reminders
from bot.incidents.key_times import spoken
from bot.incidents.roles import Role
from bot.outbox import engine
from bot.slack.blocks import status_page_blocks
from bot.slack.blocks.text import mention
from bot.slack.webapi.replies import Reply
from bot.statuspage import publishing
from bot.statuspage.atlassian import IncidentChange, Statuspage, StatuspageRefused
from bot.statuspage.publishing import Publication, Published
from bot.statuspage.states import ComponentState, PublicStatus, worst
from bot.store.models import (
    Incident,
    PublicIncident,
    PublicUpdate,
    Reminder,
    SlackEffect,
    utcnow,
)
from bot.text.rendering import for_slack

if TYPE_CHECKING:
    from bot.app.services import Services

NOT_SET_UP = (
    "There is no status page: an operator sets INCIDENTBOT_STATUS_PAGE to a components "
    "file (templates/statuspage.toml is an example). Nothing was published."
)


def publish(
    services: Services,
    channel_id: str,
    actor: str,
    publication: Publication,
    reply: Reply,
    *,
    mrkdwn: bool = True,
) -> Published | None:
    """Publish on the status page (the permission policy decides who may); the channel
    hears what the public was told. None, with the reason told, when refused."""
    settings = services.settings.status_page
    if settings is None:
        reply(text=NOT_SET_UP)
        return None
    who = services.actor(actor)  # asks Slack: outside the transaction

    def change(session: Session, incident: Incident) -> Published:
        done = publishing.publish(
            session, incident, settings.page, services.policy, who, publication, mrkdwn=mrkdwn
        )
        effects.enqueue(
            session, incident.id, Post(channel=incident.channel_id, text=_told(services, done))
        )
        effects.enqueue(session, incident.id, RedrawSummary())  # it says what the public read
        if settings.synced:
            effects.enqueue(session, incident.id, SyncStatuspage(update_id=done.update_id))
        return done

    return apply(services, channel_id, change, reply)


def _told(services: Services, done: Published) -> str:
    settings = services.settings.status_page
    assert settings is not None
    names = {c.key: c.name for c in settings.page.components}
    states = ", ".join(
        f"{names.get(k, k)}: {ComponentState(v).label.lower()}" for k, v in done.components.items()
    )
    where = (
        f" <{settings.page.url}/status/incidents/{done.public_id}|See it>."
        if settings.page.url
        else f" It is at /status/incidents/{done.public_id}."
    )
    verb = "Published" if done.first else "Updated"
    return (
        f":globe_with_meridians: {verb} on the status page ({done.status.label}): "
        f"*{for_slack(done.title)}*" + (f"\n{for_slack(states)}" if states else "") + where
    )


# -- the resolution, offered when the incident is resolved -----------------------------

RESOLVED_WORDS = (
    "This incident has been resolved. {names} {verb} working normally again. We are sorry "
    "for the trouble."
)


def resolution_draft(services: Services, story: PublicIncident) -> str:
    settings = services.settings.status_page
    assert settings is not None
    names = [c.name for c in settings.page.components if c.key in (story.components or {})]
    listed = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    return RESOLVED_WORDS.format(
        names=listed or "Everything", verb="are" if len(names) > 1 else "is"
    )


def offer_resolution(services: Services, session: Session, incident: Incident) -> None:
    """In the resolving transaction: when the public was told of this incident and its
    public story is still open, offer the Comms Lead the public resolution to confirm."""
    if services.settings.status_page is None:
        return
    story = publishing.current(session, incident.id)
    if story is None or story.status == PublicStatus.RESOLVED:
        return
    _offer(services, session, incident, story, "")
    reminders.remind_public_resolution(session, incident, utcnow())


def remind_resolution(
    services: Services, session: Session, incident: Incident, sent: Reminder, now: datetime
) -> None:
    """A reminder fell due: offer the public resolution again while the incident stays
    resolved and its public story open; the next one follows, up to the last."""
    if services.settings.status_page is None or incident.is_open:
        return
    story = publishing.current(session, incident.id)
    if story is None or story.status == PublicStatus.RESOLVED:
        return
    resolved_at = incident.resolved_at or sent.created_at
    since = spoken(max(now - resolved_at, timedelta(0)))
    _offer(services, session, incident, story, f"{incident.reference} was resolved {since} ago. ")
    reminders.remind_public_resolution(session, incident, now, sent.missed + 1)


def _offer(
    services: Services, session: Session, incident: Incident, story: PublicIncident, lead: str
) -> None:
    draft = resolution_draft(services, story)
    who = incident.holder(Role.COMMS_LEAD) or incident.holder(Role.COMMANDER)
    effects.enqueue(
        session,
        incident.id,
        Message(
            channel=incident.channel_id,
            text=f"{for_slack(lead)}The status page still shows {for_slack(story.title)} as "
            f"{story.status}.",
            blocks=status_page_blocks.resolution_offer(
                incident.id, story.title, draft, mention(who) if who else None, lead
            ),
        ),
    )


def publish_resolution(services: Services, channel_id: str, actor: str, reply: Reply) -> None:
    """The offer's button: publish the drafted resolution (the Comms Lead confirms)."""
    settings = services.settings.status_page
    if settings is None:
        reply(text=NOT_SET_UP)
        return
    with services.db.begin() as session:
        incident_id = queries.id_by_channel(session, channel_id)
        story = publishing.current(session, incident_id) if incident_id else None
        draft = resolution_draft(services, story) if story else ""
    if story is None:
        reply(text="Nothing about this incident is on the status page.")
        return
    publish(
        services,
        channel_id,
        actor,
        Publication(text=draft, status=PublicStatus.RESOLVED),
        reply,
        mrkdwn=False,
    )


# -- Atlassian Statuspage ----------------------------------------------------------------


def sync_owed(services: Services, incident_id: int, effect: SyncStatuspage) -> None:
    """Copy one publication to Statuspage: create the incident there the first time,
    update it after. Retried on a rate limit or a 5xx; a refusal is told in the channel.

    A creation tried before (this work's earlier attempt, or an earlier publication's
    work, even one given up) may have reached Statuspage with its answer lost: the
    incident is looked for first, and when it already carries this publication's words
    and status (the lost creation sent them) nothing is sent again."""
    settings = services.settings.status_page
    if settings is None or not settings.synced:
        raise StatuspageRefused(
            "copying to Statuspage is no longer set up", retry=False, code="no_statuspage"
        )
    assert settings.statuspage_token and settings.statuspage_page_id
    with services.db.begin() as session:
        row = session.get(PublicUpdate, effect.update_id)
        if row is None:
            return
        story = session.get(PublicIncident, row.public_incident_id)
        assert story is not None
        ids = {c.key: c.statuspage_id for c in settings.page.components if c.statuspage_id}
        change = IncidentChange(
            name=story.title,
            status=row.status,
            impact=story.impact,
            body=row.body,
            components={ids[k]: v for k, v in (row.components or {}).items() if k in ids},
            public_id=story.public_id,
        )
        known, story_id = story.statuspage_id, story.id
        search = known is None and _tried_before(session, story.incident_id)
    client = Statuspage(
        settings.statuspage_url, settings.statuspage_token, settings.statuspage_page_id
    )
    try:
        if search:
            # An earlier attempt may have created it and lost the answer: find it first.
            found = client.find(change)
            if found is not None:
                _remember(services, story_id, found.id)
                if found.says(change):
                    return  # the lost creation carried this very update
                known = found.id
        if known is None:
            created = client.create(change)
            _remember(services, story_id, created)
        else:
            client.update(known, change)
    finally:
        client.close()


def _tried_before(session: Session, incident_id: int) -> bool:
    """Whether a creation for this incident's public story may have reached Statuspage
    already: this work was tried before, or an earlier copy of the story was (failed,
    given up, or left by a process that stopped mid-way), read from the outbox's rows."""
    work = engine.current.get()
    if work is not None and work.repeat:
        return True
    earlier = select(SlackEffect.id).where(
        SlackEffect.incident_id == incident_id,
        SlackEffect.kind == SyncStatuspage.kind,
        or_(
            SlackEffect.attempts > 0,
            SlackEffect.dead_at.is_not(None),
            SlackEffect.lease_holder.is_not(None),
        ),
    )
    if work is not None:
        earlier = earlier.where(SlackEffect.id != work.id)
    return session.scalar(earlier.limit(1)) is not None


def _remember(services: Services, story_id: int, statuspage_id: str) -> None:
    with services.db.begin() as session:
        session.execute(
            update(PublicIncident)
            .where(PublicIncident.id == story_id, PublicIncident.statuspage_id.is_(None))
            .values(statuspage_id=statuspage_id)
        )


def form_section(services: Services, session: Session, incident: Incident) -> list[Block]:
    """The update form's *Status page* section for ``incident``; none while there is no
    status page, for a private incident or a drill, or once its public story is over."""
    settings = services.settings.status_page
    if settings is None or publishing.refusal_for(incident):
        return []
    story = publishing.current(session, incident.id)
    if story is not None and story.status == PublicStatus.RESOLVED:
        return []
    page = settings.page
    if story is not None:
        states = {k: ComponentState(v) for k, v in (story.components or {}).items()}
    else:
        states = publishing.offered(page, incident)
    hit: list[ComponentState] = [s for s in states.values() if s is not ComponentState.OPERATIONAL]
    return status_page_blocks.section(
        status_page_blocks.Section(
            components=[(c.key, c.name) for c in page.components],
            chosen=list(states),
            state=worst(hit) if hit else ComponentState.DEGRADED,
            status=PublicStatus(story.status) if story else PublicStatus.INVESTIGATING,
            title=story.title if story else "",
        )
    )
