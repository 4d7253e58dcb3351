"""``/incident postmortem``: the document, uploaded to the incident channel.

Publishing is an outbox effect, so a Slack outage delays the upload instead of
losing it. The upload uses Slack's current flow (files.getUploadURLExternal,
the upload itself, files.completeUploadExternal) through ``files_upload_v2``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.app import effects
from bot.app import people as people_names
from bot.app.common import apply
from bot.app.effect_kinds import Bookmark, Post, RedrawSummary, UploadPostmortem
from bot.documents import postmortem, publishing
from bot.incidents import notes, timeline
from bot.incidents.kinds import EventKind
from bot.slack.blocks.text import refusal
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)


def publish(services: Services, channel: str, actor: str, reply: Reply) -> None:
    def change(session: Session, incident: Incident) -> None:
        effects.enqueue(session, incident.id, UploadPostmortem(by=actor))

    reply(text="Assembling the post-mortem from the timeline; it will appear in this channel.")
    apply(services, channel, change, reply)


def upload(services: Services, incident_id: int, by: str) -> None:
    """The effect: render, upload, then link it from the summary and a bookmark.

    Read, close, call, write: people's names come from Slack between two units of
    work, and the document and chart are drawn after the second one has closed."""
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or incident.channel_id is None:
            return
        people = notes.people(session, incident)
    names = people_names.names_for(services, people)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.channel_id is not None
        channel, draft = incident.channel_id, incident.is_open
        context = postmortem.assemble(
            session, incident, names, awareness=services.settings.reporting.on
        )
    try:
        document, png = postmortem.produce_from(context, "md", services.settings.templates_dir)
    except postmortem.PostmortemError as problem:
        # A broken custom template will not fix itself on retry: say so, and stop.
        notify.tell(services.client, channel, by, f"No post-mortem: {refusal(problem)}")
        return
    title = f"Post-mortem {incident.reference}" + (" (draft)" if draft else "")
    uploaded = services.client.files_upload_v2(
        file_uploads=[
            {"content": document.text, "filename": document.filename, "title": title},
            {
                "content": png,
                "filename": document.filename.rsplit(".", 1)[0] + "-timeline.png",
                "title": f"{incident.reference} timeline",
            },
        ],
        channel=channel,
        initial_comment=(
            f":page_facing_up: {'Draft post-mortem' if draft else 'Post-mortem'} for "
            f"{incident.reference}, assembled from the timeline. Fill in the [Write] prompts; "
            "the figures come from the key times (`/incident timeline`)."
        ),
    )
    files: list[dict[str, Any]] = list(uploaded.get("files") or [])
    link = next((f.get("permalink") for f in files if f.get("title") == title), None)
    file_id = next((f.get("id") for f in files if f.get("title") == title), None)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        first = incident.postmortem_url is None
        if link:
            incident.postmortem_url = str(link)
        timeline.record(
            session,
            incident,
            EventKind.POSTMORTEM_PUBLISHED,
            "Draft post-mortem uploaded" if draft else "Post-mortem uploaded",
            actor=by,
            file_id=file_id,
            permalink=link,
            draft=draft,
        )
        effects.enqueue(session, incident_id, RedrawSummary())
        if first and link:
            effects.enqueue(session, incident_id, Bookmark(title="Post-mortem", link=str(link)))


def upload_owed(services: Services, incident_id: int, effect: UploadPostmortem) -> None:
    upload(services, incident_id, effect.by)


def published_from_command_line(
    session: Session, incident: Incident, outcome: publishing.Outcome
) -> None:
    """What the channel owes after ``incidentbot postmortem --publish``: the summary's link
    and a line, performed when the bot next performs its owed work."""
    if incident.channel_id is None:
        return
    effects.enqueue(session, incident.id, RedrawSummary())
    effects.enqueue(
        session,
        incident.id,
        Post(
            channel=incident.channel_id,
            text=f":books: Post-mortem {'published' if outcome.first else 'updated'} in "
            f"Confluence from the command line (version {outcome.version}).",
        ),
    )
