"""Action items as tickets in the team's tracker, and the post-mortem on its wiki, from
Slack: asking for a ticket (the card's *Create ticket*, ``/incident action … --ticket``)
or saying no (*No ticket*), filing SEV1/SEV2 items on resolution, what the tracker
reports back (webhooks, and a daily poll for what they missed), overdue nudges, and
``/incident postmortem --publish``.

Each call to a tracker or the wiki is outbox work (``file_ticket``, ``publish_postmortem``)
written beside the change that owes it: a 429 or 5xx is retried (after its
``Retry-After``), a refusal is final and said in the channel in the tracker's words.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import effects
from bot.app.common import apply, handled
from bot.app.effect_kinds import (
    Bookmark,
    FileTicket,
    Post,
    PublishPostmortem,
    RedrawActionCard,
    RedrawSummary,
    Tell,
)
from bot.app.paging.sending import slack_link
from bot.documents import postmortem, publishing
from bot.incidents import notes
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.permissions import Act
from bot.incidents.severity import Severity
from bot.incidents.timeline import record as record_event
from bot.outbox import engine
from bot.outbox.engine import pending_filter
from bot.outbox.failures import Refused
from bot.slack.blocks.text import escape, refusal, truncate
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import (
    Incident,
    SeenRequest,
    SlackEffect,
    TimelineEvent,
    TrackedAction,
    utcnow,
)
from bot.tracking import tickets
from bot.tracking.tracker import TRACKERS, Brief, Span, Ticket, TicketRequest, Tracker

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

NOT_SET_UP = (
    "Tickets are not set up: an operator sets INCIDENTBOT_JIRA_URL, _EMAIL, _TOKEN and "
    "_PROJECT (or INCIDENTBOT_GITHUB_TOKEN and _REPO). Nothing was filed."
)
WIKI_NOT_SET_UP = (
    "Publishing is not set up: an operator sets INCIDENTBOT_CONFLUENCE_URL, _EMAIL, _TOKEN "
    "and _SPACE. `/incident postmortem` uploads the document to this channel meanwhile."
)


def _item_words(item: TimelineEvent) -> str:
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
                    f"“{escape(truncate(_item_words(item), 200))}” as a {tracker.name} ticket. "
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
        _owe_card(session, incident.id, item_id)
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


def _owe_card(session: Session, incident_id: int, item_id: int) -> None:
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
                text=f":ticket: Filing {len(owed)} open action item{'s' if len(owed) != 1 else ''} "
                f"in {tracker.name}: a {Severity(incident.severity).label} incident's open items "
                "are filed when it is resolved, but those marked *No ticket*.",
            ),
        )
    return len(owed)


# -- filing -----------------------------------------------------------------------------
def _withheld(incident: Incident) -> bool:
    return incident.private and not incident.title_shared


def _request(
    incident: Incident, item: TimelineEvent, row: TrackedAction, names: dict[str, str]
) -> TicketRequest:
    words = _item_words(item)
    label = Severity(incident.severity).label
    about = (
        f"a private {label} incident (its title is withheld)"
        if _withheld(incident)
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
            Span(f"An action item from {incident.reference}, " if _withheld(incident) else ""),
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


def _tracker(services: Services, provider: str | None) -> Tracker:
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
    tracker = _tracker(services, provider)
    names = notify.display_names(services.client, people) if people else {}
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
        where = _linked(ticket.key, ticket.url)
        effects.enqueue(
            session,
            incident_id,
            Post(
                channel=incident.channel_id,
                text=f":ticket: Filed {where} in {tracker.name} for “"
                f"{escape(truncate(_item_words(item), 200))}”.",
            ),
        )
        _owe_card(session, incident_id, item_id)


def _linked(key: str, url: str | None) -> str:
    """A ticket's key, linked when Slack can show the link as one."""
    text = escape(key)
    if url and url.startswith(("https://", "http://")) and not any(c in url for c in "|<> "):
        return f"<{url}|{text}>"
    return text


# -- what the tracker says back -----------------------------------------------------------
DELIVERIES_KEPT = timedelta(days=90)  # how long a tracker's delivery is known again


def apply_change(
    services: Services, provider: str, ref: str, done: bool, seen_as: Sequence[str] = ()
) -> str:
    """A ticket changed in the tracker (a webhook, or the poll): a done ticket marks its
    item done. ``seen_as``: the keys that name the delivery (its delivery header, its
    body's own IDs); one seen before means the same change delivered again (a retry, or a
    captured delivery re-sent), which changes nothing. Returns what happened, in words
    for the webhook's answer."""
    if not done:
        return "not done: nothing to change"
    now = utcnow()
    try:
        closed = _close(services, provider, ref, now, seen_as)
    except _DeliveredBefore:
        return "delivered before: ignored"
    if closed is None:
        return "not one of our open tickets: ignored"
    # Said in Slack after the answer: a webhook is not kept waiting on Slack.
    services.background.submit(effects.drain, services, closed.incident_id)
    return "the action item is marked done"


class _DeliveredBefore(Exception):
    """The tracker's change was applied from an earlier delivery."""


def _close(
    services: Services, provider: str, ref: str, now: datetime, seen_as: Sequence[str]
) -> tickets.Closed | None:
    """Mark the item of the done ticket done, with what Slack owes for it, in one
    transaction; None when it is not one of our open tickets."""
    with services.db.begin() as session:
        closed = tickets.close_from_tracker(session, provider, ref, now)
        if closed is None:
            return None
        keys = [f"tracker:{key}"[:96] for key in seen_as]
        if keys and session.scalar(select(SeenRequest.key).where(SeenRequest.key.in_(keys))):
            raise _DeliveredBefore
        session.add_all(SeenRequest(key=key, expires_at=now + DELIVERIES_KEPT) for key in keys)
        incident = session.get(Incident, closed.incident_id)
        item = session.get(TimelineEvent, closed.item_id)
        assert incident is not None and item is not None
        name = TRACKERS.get(provider, provider)
        if incident.channel_id is not None:
            effects.enqueue(
                session,
                incident.id,
                Post(
                    channel=incident.channel_id,
                    text=f":white_check_mark: {escape(closed.key)} is done in {name}, so the "
                    f"action item “{escape(truncate(_item_words(item), 200))}” is marked done.",
                ),
            )
            effects.enqueue(session, incident.id, RedrawSummary())
            _owe_card(session, incident.id, closed.item_id)
    return closed


def poll(services: Services, now: datetime) -> int:
    """The daily poll: ask the tracker about filed tickets whose check is due (a webhook
    may have been missed). Returns how many items it marked done."""
    tracker = services.tracker
    if tracker is None:
        return 0
    with services.db.begin() as session:
        due = tickets.claim_checks(session, tracker.provider, now)
        refs = [r for r in (tickets.ref_of(row) for row in due) if r]
    if not refs:
        return 0
    try:
        finished = tracker.done(refs)
    except Refused as refused:
        log.warning("asking %s about %d tickets failed: %s", tracker.name, len(refs), refused)
        return 0  # asked again at the next day's check
    return sum(
        1
        for ref in sorted(finished)
        if apply_change(services, tracker.provider, ref, True).endswith("marked done")
    )


# -- overdue nudges -------------------------------------------------------------------------
def nudge_overdue(services: Services, now: datetime) -> int:
    """Tell each overdue item's owner, privately, once a day until it is done."""
    with services.db.begin() as session:
        due = tickets.claim_nudges(session, now)
        sent = 0
        for row in due:
            item = session.get(TimelineEvent, row.item_id)
            incident = session.get(Incident, row.incident_id)
            if item is None or incident is None or row.owner is None or row.due is None:
                continue
            late = (now.date() - row.due).days
            ticket = (
                f" (ticket {_linked(row.ticket_key, row.ticket_url)})" if row.ticket_key else ""
            )
            where = (
                "a private incident"
                if _withheld(incident)
                else f"{incident.reference}: {escape(truncate(incident.title, 120))}"
            )
            effects.enqueue(
                session,
                incident.id,
                Post(
                    channel=row.owner,
                    text=f":alarm_clock: Your action item from {where} was due "
                    f"{row.due:%a %d %b} ({late} day{'s' if late != 1 else ''} ago){ticket}: "
                    f"“{escape(truncate(_item_words(item), 300))}”. Mark it done on its card in "
                    f"{'the incident channel' if incident.channel_id else 'Slack'}"
                    f"{', or close the ticket' if row.ticket_key else ''}.",
                ),
            )
            sent += 1
        owners = {row.incident_id for row in due}
    for incident_id in sorted(owners):
        effects.drain(services, incident_id)
    return sent


def tick(services: Services, now: datetime | None = None) -> int:
    """The follow-up job (the scheduler's clock): the poll and the overdue nudges."""
    now = now or utcnow()
    return poll(services, now) + nudge_overdue(services, now)


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


# -- the wiki ----------------------------------------------------------------------------------
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
    names = notify.display_names(services.client, people)

    def also(session: Session, incident: Incident, outcome: publishing.Outcome) -> None:
        effects.enqueue(session, incident.id, RedrawSummary())
        where = _linked(outcome.title, outcome.url)
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
            services.db, wiki, incident_id, names, by, services.settings.templates_dir, also
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
