"""The post-mortem on the team's wiki: ``/incident postmortem --publish`` owes it, and
the outbox writes the incident's one page (``PublishPostmortem``), retried on a 429 or
5xx, a refusal said in the channel in the wiki's words."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.app import effects
from bot.app import people as people_names
from bot.app.common import handled
from bot.app.effect_kinds import (
    Bookmark,
    Post,
    PublishPostmortem,
    RedrawSummary,
    Tell,
)
from bot.app.tickets import linked
from bot.documents import postmortem, publishing
from bot.incidents import notes
from bot.incidents.errors import InvalidInput
from bot.outbox.failures import Refused
from bot.slack.blocks.text import refusal
from bot.slack.webapi.replies import Reply
from bot.store.models import (
    Incident,
)

if TYPE_CHECKING:
    from bot.app.services import Services


log = logging.getLogger(__name__)

WIKI_NOT_SET_UP = (
    "Publishing is not set up: an operator sets INCIDENTBOT_CONFLUENCE_URL, _EMAIL, _TOKEN "
    "and _SPACE. `/incident postmortem` uploads the document to this channel meanwhile."
)


def publish(services: Services, channel: str, actor: str, reply: Reply) -> None:
    """``/incident postmortem --publish``: to Confluence, the same page every time."""
    if services.wiki is None:
        reply(text=WIKI_NOT_SET_UP)
        return

    def change(session: Session, incident: Incident) -> str:
        if incident.drill:
            raise InvalidInput(
                "A drill's post-mortem is not published to the wiki; `/incident postmortem` "
                "uploads it here, and the drill report says how the drill went."
            )
        effects.enqueue(session, incident.id, PublishPostmortem(by=actor))
        return "owed"

    done = handled(services, channel, change, reply)
    if done is not None:
        reply(text="Publishing the post-mortem to Confluence; this channel hears when it is there.")
        effects.drain(services, done[0])


def publish_owed(services: Services, incident_id: int, effect: PublishPostmortem) -> None:
    wiki = services.wiki
    if wiki is None:
        raise Refused("publishing to Confluence is no longer set up", retry=False, code="no_wiki")
    by = effect.by
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            return
        people = notes.people(session, incident)
    names = people_names.names_for(services, people)

    def also(session: Session, incident: Incident, outcome: publishing.Outcome) -> None:
        effects.enqueue(session, incident.id, RedrawSummary())
        where = linked(outcome.title, outcome.url)
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=incident.channel_id,
                text=f":books: {'Draft post-mortem' if outcome.draft else 'Post-mortem'} "
                f"{'published' if outcome.first else 'updated'} in Confluence: {where} "
                f"(version {outcome.version}).",
            ),
        )
        if outcome.first and outcome.url and outcome.url.startswith("https://"):
            effects.enqueue(session, incident.id, Bookmark(title="Post-mortem", link=outcome.url))

    try:
        publishing.publish(
            services.db,
            wiki,
            incident_id,
            names,
            by,
            services.settings.templates_dir,
            also,
            awareness=services.settings.reporting.on,
        )
    except postmortem.PostmortemError as problem:
        # A broken custom template will not fix itself on retry: say so, and stop.
        with services.db.begin() as session:
            incident = session.get(Incident, incident_id)
            if incident is not None and incident.channel_id and by:
                effects.enqueue(
                    session,
                    incident_id,
                    Tell(
                        channel=incident.channel_id,
                        user=by,
                        text=f"Nothing was published: {refusal(problem)}",
                    ),
                )
