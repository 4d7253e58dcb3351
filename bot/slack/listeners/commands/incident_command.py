"""``/incident``: parse once and acknowledge at once; anything touching the database or
Slack runs in the background, after Slack has its acknowledgement.

What each subcommand is (its grammar, its acknowledgement, its work, its help) is
declared in ``subcommands.py``; this module only reads the declarations.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app.services import Services, from_context
from bot.incidents import queries
from bot.incidents.errors import InvalidInput
from bot.outbox import received
from bot.slack.blocks.text import refusal
from bot.slack.listeners.commands.declaration import Asked, Call, Where
from bot.slack.listeners.commands.lifecycle import NOT_IN_INCIDENT_CHANNEL
from bot.slack.listeners.commands.subcommands import features_of, parse
from bot.slack.webapi import notify
from bot.store.models import utcnow

log = logging.getLogger(__name__)

BUSY = (
    "The bot has more work queued than it takes at once right now; nothing was done. "
    "Try again in a few seconds."
)

# The parse ``may_need_work`` made of a request, for its listener: both run in the thread
# that dispatches the request, the filter first, with the very same body (Bolt hands the
# listener the request's body as ``command``). One slot a thread, so nothing piles up.
_parsed = threading.local()


def _parse_once(command: dict[str, Any], features: frozenset[str]) -> Asked[Any]:
    """The filter's parse of this very request if it made one, else a parse now (a
    listener called without the filter: a test, a request dispatched again)."""
    stashed = getattr(_parsed, "slot", None)
    _parsed.slot = None
    if stashed is not None and stashed[0] is command:
        asked: Asked[Any] | InvalidInput = stashed[1]
        if isinstance(asked, InvalidInput):
            raise asked
        return asked
    return parse(str(command.get("text", "")), features)


def may_need_work(command: dict[str, Any], features: frozenset[str] = frozenset()) -> bool:
    """False for a command answered wholly in its acknowledgement (``help``, or one refused
    for its syntax): it is not kept, since nothing follows the answer. The parse is kept
    for the listener, which runs next on the same body. ``features``: the settings' features
    (``features_of``), which decide the commands offered."""
    try:
        asked = parse(str(command.get("text", "")), features)
    except InvalidInput as problem:
        _parsed.slot = (command, problem)
        return False
    _parsed.slot = (command, asked)
    return asked.acknowledgement.needs_keeping


def on_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    services = from_context(context)
    try:
        # Syntax only: answered before any work starts.
        asked = _parse_once(command, features_of(services.settings))
    except InvalidInput as problem:
        ack(text=refusal(problem))
        return
    answer = asked.acknowledgement
    if answer.form is not None:
        ack()  # a form must open within 3 s of the command: the urgent pool
        services.background.submit_urgent(answer.form, services, asked.value, command)
        return
    if not answer.work:
        ack(**answer.ack_args())
        return
    if not services.background.has_room():
        received.put_off()  # dispatched again after a crash, it waits for a later sweep
        ack(text=BUSY)
        return
    # Stored before this acknowledgement (``bot.slack.listeners.keeping``): a crash after it
    # loses nothing, and the work below runs as the stored request.
    ack(**answer.ack_args())
    arrived = received.received_at() or utcnow()
    services.background.submit(_work, services, asked, _kept(command), arrived)


def register(app: App) -> None:
    app.command("/incident")(on_command)


# What of a slash command its work reads.
_KEPT = ("text", "user_id", "channel_id", "response_url", "command", "team_id")


def _kept(command: dict[str, Any]) -> dict[str, Any]:
    return {key: command.get(key) for key in _KEPT}


def _work(
    services: Services, asked: Asked[Any], command: dict[str, Any], received_at: datetime
) -> None:
    channel, user = str(command.get("channel_id") or ""), str(command.get("user_id") or "")
    respond = notify.reply_for(
        services.client, command.get("response_url"), received_at, channel, user
    )
    sub = asked.subcommand
    try:
        incident: int | None = None
        if sub.where is Where.INCIDENT_CHANNEL:
            with services.db.begin() as session:
                found = queries.by_channel(session, channel)
                incident = found.id if found is not None else None
            if incident is None:
                respond(text=NOT_IN_INCIDENT_CHANNEL.format(name=sub.name))
                return
        if sub.run is not None:
            sub.run(services, Call(asked.value, user, channel, command, incident), respond)
    except InvalidInput as problem:
        respond(text=refusal(problem))
    except Exception:
        log.exception("/incident %s failed", sub.name)
        respond(text=f"Something went wrong running `/incident {sub.name}`; it is logged.")
