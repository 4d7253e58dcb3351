""":pushpin: reactions and the "Add to incident timeline" shortcut put messages on the timeline.

Slack retries an event it thinks we missed (``X-Slack-Retry-Num``); the entry's
dedup key makes every retry, and every second pinner, add nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.app import effects
from bot.app.effect_kinds import Pin, Tell
from bot.incidents import notes, queries
from bot.slack.blocks.text import words_from_slack
from bot.slack.webapi.replies import Reply

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

PIN_REACTION = "pushpin"
NOT_IN_INCIDENT = (
    "Only messages in an incident channel go on a timeline; this channel has no incident."
)


def from_reaction(services: Services, event: dict[str, Any]) -> None:
    """A reaction_added or reaction_removed event; anything but a :pushpin: on a message in
    an incident channel is none of our business."""
    item = event.get("item") or {}
    if event.get("reaction") != PIN_REACTION or item.get("type") != "message":
        return
    channel, ts, user = str(item.get("channel", "")), str(item.get("ts", "")), event.get("user")
    if not channel or not ts or not user:
        return
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is None:
            return
        incident_id = incident.id
        if event.get("type") == "reaction_removed":
            if notes.unpin(session, channel, ts, by=str(user)):
                log.info("message %s taken off the timeline of incident %s", ts, incident_id)
            return
        # Reading the message from Slack is owed like any Slack call: an outbox row,
        # retried until Slack answers, so a pin made during a Slack hiccup is not lost.
        effects.enqueue(session, incident_id, Pin(ts=ts, user=str(user)))
    effects.drain(services, incident_id)


def pin_from_slack(services: Services, channel: str, ts: str, user: str) -> None:
    """The outbox effect behind a :pushpin:: fetch the message, then store it."""
    message = fetch_message(services.client, channel, ts)
    if message is None:
        log.info("pinned message %s in %s is gone; nothing to add", ts, channel)
        return
    add(services, channel, ts, message, user, announce=True)


def from_shortcut(services: Services, body: dict[str, Any], reply: Reply) -> None:
    """The message shortcut: Slack sends the message itself."""
    channel = str((body.get("channel") or {}).get("id", ""))
    message = body.get("message") or {}
    ts, user = str(message.get("ts", "")), str((body.get("user") or {}).get("id", ""))
    with services.db.begin() as session:
        known = queries.id_by_channel(session, channel) is not None
    if not known:
        reply(text=NOT_IN_INCIDENT)
        return
    if not add(services, channel, ts, message, user, announce=False):
        reply(text="That message is on the timeline already.")
        return
    reply(text=":pushpin: Added to the incident's timeline.")


def add(
    services: Services,
    channel: str,
    ts: str,
    message: dict[str, Any],
    user: str,
    *,
    announce: bool,
) -> bool:
    """Store the message on the timeline; True when this added it."""
    pinned = notes.PinnedMessage(
        channel=channel,
        ts=ts,
        author=message.get("user"),
        posted_at=datetime.fromtimestamp(float(ts), UTC),
        text=words_from_slack(str(message.get("text") or "")) or "(no text)",
        permalink=permalink(services.client, channel, ts),
    )
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is None:
            return False
        added = notes.pin(session, incident, pinned, by=user)
        if added is not None and announce:
            effects.enqueue(
                session,
                incident.id,
                Tell(
                    channel=channel,
                    user=user,
                    text=":pushpin: Added to the incident's timeline. Take the reaction away to "
                    "take it off.",
                ),
            )
        incident_id = incident.id
    effects.drain(services, incident_id)
    return added is not None


def fetch_message(client: WebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """The message at ``ts``: from the channel's history, or from its thread if it is a reply."""
    found = client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
    for message in found.get("messages") or []:
        if message.get("ts") == ts:
            return dict(message)
    try:
        thread = client.conversations_replies(channel=channel, ts=ts, limit=1)
    except SlackApiError as exc:
        if exc.response.get("error") == "thread_not_found":
            return None
        raise
    return next((dict(m) for m in thread.get("messages") or [] if m.get("ts") == ts), None)


def permalink(client: WebClient, channel: str, ts: str) -> str | None:
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError as exc:
        log.info("no permalink for %s in %s: %s", ts, channel, exc.response.get("error"))
        return None


def pin_owed(services: Services, incident_id: int, effect: Pin) -> None:
    pin_from_slack(
        services, effects.incident_channel(services, incident_id), effect.ts, effect.user
    )
