"""``/incident private``: move a public incident into a new private channel.

Slack cannot turn a public channel private, so the incident gets a new private
channel (the set-up of a private declaration: no title in the name, the declarer
and the role holders invited, the summary pinned, a triage card), its broadcast
announcement loses the title, and the old channel is told where the work went (not
which channel: that is private), renamed without the title, and archived.
Nothing moves the other way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import effects
from bot.app.channel_setup import ProvisioningFailed, SetupRefused
from bot.app.common import handled
from bot.app.effect_kinds import Archive, Invite, Message, Post, PrivateNotice, Rename
from bot.incidents import timeline
from bot.incidents.channel_names import channel_name
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act
from bot.slack.blocks.announcement import announcement_blocks, announcement_text
from bot.slack.blocks.kit import render
from bot.slack.blocks.text import channel_link
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident, TimelineEvent, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services


def make_private(services: Services, channel_id: str, actor: str, reply: Reply) -> None:
    who = services.actor(actor)

    def change(session: Session, incident: Incident) -> str:
        services.policy.check(Act.MAKE_PRIVATE, incident, who)
        if incident.private:
            raise InvalidInput(f"{incident.reference} is private already.")
        old, old_name = incident.channel_id, incident.channel_name
        assert old is not None
        now = utcnow()
        timeline.record(
            session,
            incident,
            EventKind.MADE_PRIVATE,
            f"Moved to a private channel by @{actor}; #{old_name} archived",
            actor=actor,
            when=now,
            from_channel=old,
            from_name=old_name,
        )
        # Set up again, privately: the provisioner sees no channel and makes one.
        incident.private = True
        incident.channel_id = incident.channel_name = None
        incident.summary_ts = incident.triage_ts = None
        incident.provisioned_at = None
        incident.provisioning_claimed_at = now
        # These wait for the new channel (the outbox holds an incident's work until it
        # has one), so the old channel is told and archived once the new one exists.
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=old,
                text=f":lock: <@{actor}> made {incident.reference} private. The response goes on "
                "in a private channel with the Incident Commander and the role holders; ask them "
                "if you need to be there. This channel is archived now.",
            ),
        )
        # Its name carried the title: the archived channel keeps a name that does not.
        day = incident.declared_at.date()
        quiet = channel_name(services.settings.channel_prefix, day, f"moved-{incident.id}")
        effects.enqueue(session, incident.id, Rename(channel=old, name=quiet))
        effects.enqueue(session, incident.id, Archive(channel=old))
        effects.enqueue(
            session,
            incident.id,
            Message(
                text=f":lock: {incident.reference} moved here from #{old_name} (archived), made "
                f"private by <@{actor}>. Its timeline, roles and triage came along; invite anyone "
                "else the response needs."
            ),
        )
        # The set-up invites the declarer and the role holders; whoever moved it (a
        # responder, say) comes along too.
        effects.enqueue(session, incident.id, Invite(user=actor))
        announced = _announcement(session, incident)
        if announced is not None:
            effects.enqueue(session, incident.id, PrivateNotice(**announced))
        return incident.reference

    done = handled(services, channel_id, change, reply)
    if done is None:
        return
    incident_id, reference = done
    try:
        opened = services.provisioner.run(incident_id)
    except SetupRefused:
        return  # the set-up told whoever asked why, and that an operator must retry
    except ProvisioningFailed:
        reply(
            text=f"{reference} is private now; Slack did not let me finish its new channel "
            "yet. I will keep trying, and archive this one once it exists."
        )
        return
    effects.drain(services, incident_id)
    reply(text=f"{reference} moved to {channel_link(opened.channel_id, opened.channel_name)}.")


def _announcement(session: Session, incident: Incident) -> dict[str, str] | None:
    if incident.announced_ts is None:
        return None
    channel = session.scalar(
        select(TimelineEvent.data)
        .where(TimelineEvent.incident_id == incident.id, TimelineEvent.kind == EventKind.ANNOUNCED)
        .order_by(TimelineEvent.id.desc())
        .limit(1)
    )
    where = (channel or {}).get("channel")
    return {"channel": str(where), "ts": incident.announced_ts} if where else None


def redraw_announcement(services: Services, incident_id: int, channel: str, ts: str) -> None:
    """The broadcast announcement as a private incident's: no title, no channel."""
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            return
        text = announcement_text(incident)
        shown = render(announcement_blocks(incident))
    if channel.startswith("#"):  # stored by name before IDs were kept; chat.update needs the ID
        found = _channel_id(services, channel[1:])
        if found is None:
            return
        channel = found
    services.client.chat_update(channel=channel, ts=ts, text=text, blocks=shown)


def _channel_id(services: Services, name: str) -> str | None:
    cursor = None
    while True:
        page = services.client.conversations_list(
            types="public_channel,private_channel", limit=1000, cursor=cursor
        )
        for channel in page.get("channels") or []:
            if channel.get("name") == name:
                return str(channel["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None


def announcement_owed(services: Services, incident_id: int, effect: PrivateNotice) -> None:
    redraw_announcement(services, incident_id, effect.channel, effect.ts)
