"""The Slack calls the bot makes: post, tell, invite, pin, archive, open a form, look
up names. Each is one call (or a few) with Slack's refusals sorted; what to say and
when is the application's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.outbox.engine import current as current_work
from bot.slack.webapi.replies import reply_to
from bot.store.models import utcnow

log = logging.getLogger(__name__)


def pin(client: WebClient, channel: str, ts: str) -> None:
    try:
        client.pins_add(channel=channel, timestamp=ts)
    except SlackApiError as exc:
        if exc.response.get("error") != "already_pinned":
            raise


def invite(client: WebClient, channel: str, user: str) -> None:
    try:
        client.conversations_invite(channel=channel, users=user)
    except SlackApiError as exc:
        # Already there, or the bot itself: nothing to do.
        if exc.response.get("error") not in {"already_in_channel", "cant_invite_self"}:
            raise


def members(client: WebClient, channel: str) -> set[str]:
    """Who is in a channel the bot is in (an empty set when Slack will not say)."""
    found: set[str] = set()
    cursor = None
    try:
        while True:
            page = client.conversations_members(channel=channel, limit=1000, cursor=cursor)
            found.update(str(u) for u in page.get("members") or [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found
    except SlackApiError as exc:
        log.warning("could not list the members of %s: %s", channel, exc.response.get("error"))
        return found


def archive(client: WebClient, channel: str) -> None:
    try:
        client.conversations_archive(channel=channel)
    except SlackApiError as exc:
        if exc.response.get("error") != "already_archived":
            raise


WORK_EVENT = "incidentbot_work"
STEP_EVENT = "incidentbot_step"  # a set-up step's post, found again on a repeat
HISTORY_LOOKBACK = 100  # messages searched for an earlier attempt's post


def post(client: WebClient, channel: str, text: str, **fields: Any) -> str:
    """Post a message; as outbox work, effectively once (``post_once``)."""
    return post_once(client, channel, text=text, unfurl_links=False, unfurl_media=False, **fields)


def post_once(client: WebClient, channel: str, **message: Any) -> str:
    """``chat.postMessage``, naming the outbox work it performs in the message's metadata.

    A repeat of that work (it failed, or its process stopped mid-way) first looks for
    the name among the channel's recent messages, and does not post again when an
    earlier attempt got through. Outside outbox work it simply posts.
    """
    work = current_work.get()
    if work is None:
        return str(client.chat_postMessage(channel=channel, **message)["ts"])
    return _post_named(client, channel, WORK_EVENT, {"work": work.id}, work.repeat, message)[1]


def post_marked(
    client: WebClient, channel: str, mark: str, *, repeat: bool, **message: Any
) -> tuple[str, str]:
    """``chat.postMessage`` carrying ``mark`` (e.g. ``incident:12:announcement``) in its
    metadata, for a step that records the message only after posting it.

    On a ``repeat`` (the step's process may have stopped between posting and
    recording) it is found again by the mark, as ``post_once`` finds outbox work.
    Returns the channel's ID (``channel`` may be a ``#name``) and the message's ts.
    """
    return _post_named(client, channel, STEP_EVENT, {"mark": mark}, repeat, message)


def _post_named(
    client: WebClient,
    channel: str,
    event: str,
    name: dict[str, Any],
    repeat: bool,
    message: dict[str, Any],
) -> tuple[str, str]:
    """Post with ``name`` in the metadata; on a repeat, return an earlier post so named."""
    message["metadata"] = {"event_type": event, "event_payload": name}
    if repeat and (earlier := _posted_before(client, channel, event, name)) is not None:
        log.info("%s was already posted to %s; not posting it again", name, channel)
        return channel, earlier
    posted = client.chat_postMessage(channel=channel, **message)
    return str(posted.get("channel") or channel), str(posted["ts"])


def _posted_before(client: WebClient, channel: str, event: str, name: dict[str, Any]) -> str | None:
    """A recent message in ``channel`` whose metadata carries ``name``."""
    try:
        history = client.conversations_history(
            channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True
        )
    except SlackApiError as exc:
        log.info("could not read %s's history to check a repeat: %s", channel, exc)
        return None  # better a rare double post than a lost one
    for found in history.get("messages") or []:
        metadata = found.get("metadata") or {}
        if metadata.get("event_type") == event and metadata.get("event_payload") == name:
            return str(found["ts"])
    return None


def bookmark(client: WebClient, channel: str, title: str, link: str) -> None:
    """A link in the channel's bookmark bar (``bookmarks.add``)."""
    client.bookmarks_add(channel_id=channel, title=title, type="link", link=link)


RESPONSE_URL_LIFE = timedelta(minutes=25)  # Slack honours one for 30 minutes


def reply_for(
    client: WebClient,
    response_url: str | None,
    asked_at: datetime,
    channel: str,
    user: str,
) -> Callable[..., None]:
    """Answer the person who asked: through the response_url while it is fresh, later
    by an ephemeral message (or a direct one when they are not in the channel)."""
    if response_url and utcnow() - asked_at < RESPONSE_URL_LIFE:
        return reply_to(response_url)
    if channel and user:
        return teller(client, channel, user)
    return lambda **_: None


def teller(client: WebClient, channel: str, user: str) -> Callable[..., None]:
    """A reply for work started from a modal, which has no response_url: ``tell``."""

    def reply(**message: Any) -> None:
        tell(client, channel, user, str(message.get("text", "")))

    return reply


def tell(client: WebClient, channel: str, user: str, text: str) -> None:
    """A message only ``user`` sees: ephemeral in ``channel``, or a direct message from the
    app when they are not a member of it (Slack refuses ephemerals to non-members)."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as exc:
        if exc.response.get("error") not in {"user_not_in_channel", "channel_not_found"}:
            raise
        client.chat_postMessage(channel=user, text=text)


def open_modal(
    client: WebClient,
    trigger_id: str,
    view: Any,
    reply: Callable[..., None],
    *,
    form: str = "the form",
    again: str = "click the button again",
) -> bool:
    """Open a form for the person who clicked or typed; if Slack will not (the trigger
    lasts 3 seconds), tell them so in words and how to try again."""
    try:
        client.views_open(trigger_id=trigger_id, view=view.to_dict())
    except SlackApiError as exc:
        log.warning("could not open %s: %s", form, exc.response.get("error"))
        reply(text=f"Slack would not open {form} in time; {again}.")
        return False
    return True


def display_names(client: WebClient, users: set[str]) -> dict[str, str]:
    """Display names for a document read outside Slack (at most 200 people); a person
    Slack does not answer for is left out, so the document shows their ID."""
    names = {}
    for user in sorted(users)[:200]:
        try:
            profile = client.users_info(user=user)["user"]
        except SlackApiError:
            continue
        shown = (profile.get("profile") or {}).get("display_name") or profile.get("name")
        if shown:
            names[user] = str(shown)
    return names
