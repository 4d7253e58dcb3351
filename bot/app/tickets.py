"""Action items as tickets in the team's tracker, from Slack: asking for a ticket (the
card's *Create ticket*, ``/incident action … --ticket``) or saying no (*No ticket*),
filing SEV1/SEV2 items on resolution, and whether a private incident's title may show
there. What the tracker says back is ``ticket_changes``; the wiki is ``wiki``.

Each call to a tracker is outbox work (``FileTicket``) written beside the change that
owes it: a 429 or 5xx is retried (after its ``Retry-After``), a refusal is final and
said in the channel in the tracker's words.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import effects
from bot.app import people as people_names
from bot.app.common import apply, handled
from bot.app.effect_kinds import (
    FileTicket,
    Post,
    RedrawActionCard,
)
from bot.app.paging.sending import slack_link
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act
from bot.incidents.severity import Severity
from bot.incidents.timeline import record as record_event
from bot.outbox import engine
from bot.outbox.engine import pending_filter
from bot.outbox.failures import Refused
from bot.slack.blocks.text import escape, truncate
from bot.slack.webapi.replies import Reply
from bot.store.models import (
    Incident,
    SlackEffect,
    TimelineEvent,
    TrackedAction,
    utcnow,
)
from bot.text.rendering import count
from bot.tracking import tickets
from bot.tracking.tracker import TRACKERS, Brief, Span, Ticket, TicketRequest, Tracker

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

NOT_SET_UP = (
    "Tickets are not set up: an operator sets INCIDENTBOT_JIRA_URL, _EMAIL, _TOKEN and "
    "_PROJECT (or INCIDENTBOT_GITHUB_TOKEN and _REPO). Nothing was filed."
)


def item_words(item: TimelineEvent) -> str:
    return str(item.data.get("item", ""))


# -- asking, declining ------------------------------------------------------------------
def ask(
    services: Services, channel: str, item_id: int, actor: str, reply: Reply, ts: str = ""
) -> None:
    """*Create ticket* on an action item's card (or ``--ticket``): filed once."""
    tracker = services.tracker
    if tracker is None:
        reply(text=NOT_SET_UP)
        return

    def change(session: Session, incident: Incident) -> str:
        item = session.get(TimelineEvent, item_id)
        if item is None or item.incident_id != incident.id:
            raise InvalidInput("That action item is not part of this incident.")
        if incident.drill:  # rehearsed: a drill never files a real ticket
            effects.enqueue(
                session,
                incident.id,
                Post(
                    channel=incident.channel_id,
                    text=f":performing_arts: [DRILL] In a real incident this would file "
                    f"“{escape(truncate(item_words(item), 200))}” as a {tracker.name} ticket. "
                    "A drill files nothing.",
                ),
            )
            return "drill"
        if not tickets.ask(session, incident, item_id, tracker.provider, by=actor):
            row = session.get(TrackedAction, item_id)
            key = row.ticket_key if row is not None else None
            if key:
                raise InvalidInput(f"That action item has its ticket already ({key}).")
            if _filing(session, incident.id, item_id):
                raise InvalidInput("That action item's ticket is being filed already.")
            # Owed, but its filing died (a refusal since fixed): asking again tries again.
        effects.enqueue(session, incident.id, FileTicket(item=item_id))
        if ts:
            _remember_card(session, item_id, ts)
        return "owed"

    done = handled(services, channel, change, reply)
    if done is None:
        return
    if done[1] == "owed":
        reply(text=f"Filing it in {tracker.name}; this channel hears when it is there.")
    effects.drain(services, done[0])


def decline(
    services: Services, channel: str, item_id: int, actor: str, reply: Reply, ts: str = ""
) -> None:
    """*No ticket*: resolution files none for this item (a later *Create ticket* still can)."""

    def change(session: Session, incident: Incident) -> str:
        tickets.decline(session, incident, item_id, by=actor)
        if ts:
            _remember_card(session, item_id, ts)
        owe_card(session, incident.id, item_id)
        return "declined"

    if apply(services, channel, change, reply) == "declined":
        reply(text="No ticket will be filed for it on resolution; *Create ticket* still can.")


def _filing(session: Session, incident_id: int, item_id: int) -> bool:
    """Whether the outbox still owes this item's filing (neither done nor dead)."""
    owed = session.scalars(
        select(SlackEffect.payload).where(
            SlackEffect.incident_id == incident_id,
            SlackEffect.kind == FileTicket.kind,
            pending_filter(),
        )
    )
    return any(int(payload.get("item", 0)) == item_id for payload in owed)


def _remember_card(session: Session, item_id: int, ts: str) -> None:
    row = session.get(TrackedAction, item_id)
    if row is not None and not row.card_ts:
        row.card_ts = ts


def owe_card(session: Session, incident_id: int, item_id: int) -> None:
    """The item's card is redrawn when the bot knows where it is."""
    row = session.get(TrackedAction, item_id)
    if row is not None and row.card_ts:
        effects.enqueue(session, incident_id, RedrawActionCard(ts=row.card_ts, item_id=item_id))


def owe_on_resolution(services: Services, session: Session, incident: Incident) -> int:
    """Resolving a SEV1 or SEV2 with a tracker set up files its open items (but those
    someone said no to). Called in the resolution's transaction."""
    tracker = services.tracker
    if tracker is None:
        return 0
    owed = tickets.owe_on_resolution(session, incident, tracker.provider)
    for item_id in owed:
        effects.enqueue(session, incident.id, FileTicket(item=item_id))
    if owed:
        effects.enqueue(
            session,
            incident.id,
            Post(
                channel=incident.channel_id,
                text=f":ticket: Filing {count(len(owed), 'open action item')} "
                f"in {tracker.name}: a {Severity(incident.severity).label} incident's open items "
                "are filed when it is resolved, except those marked *No ticket*.",
            ),
        )
    return len(owed)


# -- filing -----------------------------------------------------------------------------
def withheld(incident: Incident) -> bool:
    return incident.private and not incident.title_shared


def _request(
    incident: Incident, item: TimelineEvent, row: TrackedAction, names: dict[str, str]
) -> TicketRequest:
    words = item_words(item)
    label = Severity(incident.severity).label
    about = (
        f"a private {label} incident (its title is withheld)"
        if withheld(incident)
        else f"{label} {incident.reference}: {incident.title}"
    )
    owner = row.owner or item.data.get("owner")
    facts = [
        f"Owner in Slack: @{names.get(str(owner), str(owner))}" if owner else "No owner yet",
        f"Due {item.data['due']}" if item.data.get("due") else "No due date",
    ]
    asked = row.asked_by
    how = f"at @{names.get(asked, asked)}'s request" if asked else "when the incident was resolved"
    link = slack_link(incident.channel_id)
    paragraphs: list[tuple[Span, ...]] = [
        (Span(words, strong=True),),
        (
            Span(f"An action item from {incident.reference}, " if withheld(incident) else ""),
            Span(about),
        ),
        (Span("\n".join(facts)),),
    ]
    if link:
        paragraphs.append((Span("The incident channel in Slack", href=link),))
    paragraphs.append(
        (
            Span(
                f"Filed by incidentbot {how}. Closing this ticket marks the item "
                "done in the incident's timeline."
            ),
        )
    )
    return TicketRequest(
        f"{incident.reference}: {words}",
        Brief(tuple(paragraphs)),
        (tickets.item_label(item.id), tickets.incident_label(incident), "incidentbot"),
    )


def configured_tracker(services: Services, provider: str | None) -> Tracker:
    tracker = services.tracker
    if tracker is None or (provider and tracker.provider != provider):
        raise Refused(
            f"filing tickets in {TRACKERS.get(provider or '', 'the tracker')} is no longer set up",
            retry=False,
            code="no_tracker",
        )
    return tracker


def file_owed(services: Services, incident_id: int, effect: FileTicket) -> None:
    item_id = int(effect.item)
    with services.db.begin() as session:
        row = session.get(TrackedAction, item_id)
        item = session.get(TimelineEvent, item_id)
        incident = session.get(Incident, incident_id)
        if row is None or item is None or incident is None or row.ticket != "owed":
            return  # filed already (a repeat), or nobody owes it any more
        people = {p for p in (row.owner, row.asked_by) if p}
        provider = row.provider
    tracker = configured_tracker(services, provider)
    names = people_names.names_for(services, people) if people else {}
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        row = session.get(TrackedAction, item_id)
        item = session.get(TimelineEvent, item_id)
        assert incident is not None and row is not None and item is not None
        request = _request(incident, item, row, names)
    work = engine.current.get()
    found: Ticket | None = None
    if work is None or work.repeat:  # an earlier attempt may have filed it
        found = tracker.find(request.labels[0])
    ticket = found or tracker.file(request)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id, with_for_update=True)
        assert incident is not None
        filed = tickets.record_filed(session, incident, item_id, ticket, tracker.provider, utcnow())
        if filed is None:
            return
        where = linked(ticket.key, ticket.url)
        effects.enqueue(
            session,
            incident_id,
            Post(
                channel=incident.channel_id,
                text=f":ticket: Filed {where} in {tracker.name} for “"
                f"{escape(truncate(item_words(item), 200))}”.",
            ),
        )
        owe_card(session, incident_id, item_id)


def linked(key: str, url: str | None) -> str:
    """A ticket's key, linked when Slack can show the link as one."""
    text = escape(key)
    if url and url.startswith(("https://", "http://")) and not any(c in url for c in "|<> "):
        return f"<{url}|{text}>"
    return text


# -- the title of a private incident ----------------------------------------------------------
def share_title(services: Services, channel: str, actor: str, on: bool, reply: Reply) -> None:
    """``/incident share-title [off]``: the Commander lets a private incident's title show
    on its tickets and wiki page (or takes it back)."""
    who = services.actor(actor)

    def change(session: Session, incident: Incident) -> str:
        services.policy.check(Act.SHARE_TITLE, incident, who)
        if not incident.private:
            raise InvalidInput(
                f"{incident.reference} is not private: its title shows on its tickets already."
            )
        if incident.title_shared == on:
            return f"{incident.reference}'s title is {'shared' if on else 'withheld'} already."
        incident.title_shared = on
        record_event(
            session,
            incident,
            EventKind.TITLE_SHARED,
            "Title shared with the tracker and the wiki"
            if on
            else "Title withheld from the tracker and the wiki again",
            actor=actor,
            shared=on,
        )
        ref = incident.reference
        if on:
            return f"{ref}'s title shows on the tickets and wiki page made from now on."
        return f"{ref}'s title is withheld again from tickets and pages made from now on."

    said = apply(services, channel, change, reply)
    if said:
        reply(text=said)
