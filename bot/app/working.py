"""The channel's side of a long analysis (drift, fairness): the request checked and queued
in the heavy pool, a working message that says what is happening and is edited as the work
goes, reading a data set with progress, and the findings posted with their chart."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.app import effects
from bot.app.background import QueueFull
from bot.app.common import NOT_AN_INCIDENT
from bot.app.effect_kinds import Message, Upload
from bot.app.requests import WindowArgs
from bot.incidents import queries, timeline
from bot.incidents.kinds import EventKind
from bot.slack.blocks.text import refusal
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.text import sizes

if TYPE_CHECKING:
    from slack_sdk.models.blocks import Block

    from bot.app.services import Services

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2.0  # seconds between progress edits (Slack allows ~1 edit/s per channel)


class Working:
    """The channel's working message, edited as the analysis goes (at most every 2 s)."""

    def __init__(self, services: Services, channel: str, head: str) -> None:
        self.services, self.channel, self.head = services, channel, head
        self._last = 0.0
        self._lock = threading.Lock()
        self.ts: str | None = None
        try:
            self.ts = notify.post(
                services.client, channel, f"{head}\n:hourglass_flowing_sand: Starting…"
            )
        except SlackApiError as exc:  # the analysis goes on; its findings are owed durably
            log.warning("could not post the working message: %s", exc.response.get("error"))

    def say(self, line: str, *, force: bool = False) -> None:
        if self.ts is None:
            return
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < PROGRESS_EVERY:
                return
            self._last = now
        try:
            self.services.client.chat_update(
                channel=self.channel, ts=self.ts, text=f"{self.head}\n{line}"
            )
        except SlackApiError as exc:  # progress is a courtesy; the result is what must arrive
            log.info("could not update the progress: %s", exc.response.get("error"))

    def withdraw(self) -> None:
        """Take the message away: a request refused for its input leaves no trace in the
        channel (the person who typed it is told privately)."""
        if self.ts is None:
            return
        try:
            self.services.client.chat_delete(channel=self.channel, ts=self.ts)
        except SlackApiError as exc:
            log.info("could not remove the working message: %s", exc.response.get("error"))


def reading(status: Working) -> Callable[[str], Callable[[int, int | None], None]]:
    """How reading a whole file is told in the working message, for each side."""

    def told(role: str) -> Callable[[int, int | None], None]:
        def progress(done: int, total: int | None) -> None:
            share = f" ({done / total:.0%})" if total else ""
            status.say(f":inbox_tray: Reading the {role} data: {sizes.size(done)}{share}…")

        return progress

    return told


def queue(
    services: Services,
    channel: str,
    places: tuple[str, str],
    reply: Reply,
    what: str,
    run: Callable[..., None],
    *args: Any,
    rows: WindowArgs | None = None,
) -> None:
    """Check both data sets' places, the rows asked for and the channel now (refusals
    change nothing), then queue ``run(services, channel, reference, current, where, until,
    *args)`` in the heavy pool (``where``: how to reach them, ``until``: where the current
    window ends), telling the person how many analyses are ahead, or that the queue is
    full."""
    from bot.diagnosis import datasets
    from bot.diagnosis.sources import compare
    from bot.diagnosis.sources.places import window

    rows = rows or WindowArgs()
    settings = services.settings
    try:
        where = compare.Where(
            places=settings.data_places,
            limits=settings.drift_limits,
            data_dir=settings.data_dir,
            window=window(rows.time_column, rows.window, rows.against, rows.where),
        )
        reference, current = (where.place(place) for place in places)
    except datasets.SourceError as problem:
        reply(text=f"No {what}: {refusal(problem)}")
        return
    until = rows.until or datetime.now(UTC)
    with services.db.begin() as session:
        known = queries.id_by_channel(session, channel) is not None
    if not known:
        reply(text=NOT_AN_INCIDENT)
        return
    try:
        ahead = services.background.submit_heavy(
            run,
            services,
            channel,
            reference,
            current,
            where,
            until,
            *args,
            waiting=settings.drift_queue,
        )
    except QueueFull as full:
        reply(
            text=f"No {what}: {full.ahead} analyses are already running or waiting, as many "
            "as this bot queues. Try again in a few minutes."
        )
        return
    if ahead:
        others = f"{ahead} other{'s' if ahead > 1 else ''}"
        reply(text=f"Your {what} waits behind {others}; the findings will follow in the channel.")


@dataclass(frozen=True)
class Findings:
    """An analysis's result as the channel and the timeline get it."""

    kind: EventKind
    said: str  # the timeline's words
    facts: dict[str, Any]  # the timeline's figures
    text: str  # the message's plain text
    blocks: list[Block]
    chart: bytes
    chart_name: str  # e.g. "drift": the file is drift-INC-12.png
    chart_title: str  # after the incident's reference
    chart_comment: str


def publish(services: Services, channel: str, actor: str | None, found: Findings) -> None:
    """Record the findings and owe their message and chart in one transaction, then send."""
    from bot.slack.blocks.kit import render

    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is None:
            return
        timeline.record(session, incident, found.kind, found.said, actor=actor, **found.facts)
        effects.enqueue(
            session,
            incident.id,
            Message(channel=channel, text=found.text, blocks=render(found.blocks)),
        )
        effects.enqueue(
            session,
            incident.id,
            Upload(
                channel=channel,
                filename=f"{found.chart_name}-{incident.reference}.png",
                title=f"{incident.reference} {found.chart_title}",
                content=base64.b64encode(found.chart).decode("ascii"),
                comment=found.chart_comment,
            ),
        )
        incident_id = incident.id
    effects.drain(services, incident_id)
