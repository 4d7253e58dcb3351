"""``/incident catchup [2h]``: what happened since the person last wrote in the channel
(or in the period given), drafted by the model as points each tied to the timeline
time it comes from, told only to them.

Since when: the period given; else the person's last message in the channel (Slack's
history, its newest 200 messages), else their last act on the timeline, else the
declaration. Older events are summarised first to stay within the request's and the
task's budgets (``bot.ai.catchup``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select

from bot.ai import catchup, prompts
from bot.ai.evidence import Context, event_line
from bot.app import ai_tasks, effects
from bot.app.effect_kinds import Tell
from bot.incidents.kinds import EventKind, label
from bot.slack.blocks import ai_text
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident, TimelineEvent, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)
HISTORY = 200  # messages of the channel searched for the person's last one
# The AI's own events are not news to catch up on.
SKIPPED = {EventKind.AI_INVESTIGATION.value}
# The newest events of the period read at most: the budget reads the newest first and
# leaves older ones out, and at the default budget (60,000 tokens) far fewer than this fit,
# so a long incident's older events are counted, not loaded.
MOST_EVENTS = 5_000


def start(
    services: Services, channel: str, period: timedelta | None, actor: str, reply: Reply
) -> None:
    started = ai_tasks.start(services, channel, "catchup", actor, _asked(period), reply)
    if started is None:
        return
    with ai_tasks.until_handed_on(services, started):
        since = utcnow() - period if period else last_written(services, started, actor)
        reply(
            text=f":hourglass_flowing_sand: Catching you up on {started.reference} since "
            f"{since:%H:%M} UTC; only you will see it."
        )
        ai_tasks.submit(run, services, started, since, actor)


def _asked(period: timedelta | None) -> str:
    return f"catch up on the last {period}" if period else "catch up since I last wrote"


def last_written(services: Services, started: ai_tasks.Started, user: str) -> datetime:
    try:
        history = services.client.conversations_history(channel=started.channel, limit=HISTORY)
        for message in history.get("messages") or []:
            if message.get("user") == user and message.get("ts"):
                return datetime.fromtimestamp(float(message["ts"]), UTC)
    except SlackApiError as exc:
        log.info("could not read the channel's history: %s", exc.response.get("error"))
    with services.db.begin() as session:
        incident = session.get(Incident, started.incident_id)
        assert incident is not None
        last = session.scalar(
            select(TimelineEvent.occurred_at)
            .where(TimelineEvent.incident_id == incident.id, TimelineEvent.actor == user)
            .order_by(TimelineEvent.occurred_at.desc())
            .limit(1)
        )
        return last or incident.declared_at


def gather(
    services: Services, incident_id: int, since: datetime, names: dict[str, str]
) -> tuple[prompts.Brief, list[catchup.Event], str, int]:
    """The brief, the period's newest events (at most :data:`MOST_EVENTS`) cleaned for the
    model, the incident's reference, and how many older events of the period were not
    read (one read)."""
    sensitive = tuple(services.settings.sensitive_columns)
    context = Context(db=services.db, incident_id=incident_id, sensitive=sensitive, names=names)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        brief = prompts.brief(incident, names, sensitive)
        wanted = (
            TimelineEvent.incident_id == incident_id,
            TimelineEvent.occurred_at >= since,
            TimelineEvent.kind.not_in(SKIPPED),
        )
        rows = list(
            session.scalars(
                select(TimelineEvent)
                .where(*wanted)
                .order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc())
                .limit(MOST_EVENTS)
            )
        )
        rows.reverse()
        unread = 0
        if len(rows) == MOST_EVENTS:
            total = session.scalar(select(func.count()).select_from(TimelineEvent).where(*wanted))
            unread = int(total or 0) - MOST_EVENTS
        events = []
        for row in rows:
            line = event_line(row, context)
            events.append(
                catchup.Event(row.id, row.occurred_at, label(row.kind), line["by"], line["text"])
            )
        return brief, events, incident.reference, unread


def run(services: Services, started: ai_tasks.Started, since: datetime, actor: str) -> None:
    ai = started.settings
    try:
        names = ai_tasks.incident_names(services, started.incident_id)
        brief, events, reference, unread = gather(services, started.incident_id, since, names)
        client = ai_tasks.client_for(ai)
        try:
            result = catchup.catch_up(
                client,
                brief,
                f"since {since:%Y-%m-%d %H:%M} UTC",
                events,
                request_tokens=ai.request_tokens,
                max_tokens=ai.max_tokens,
                deadline=started.deadline,
                clock=ai_tasks.Clock.now,
                log=ai_tasks.request_log(services, started.task_id),
            )
        finally:
            client.close()
    except Exception:
        failed = ":warning: No catch-up: it failed, and the bot's log has why."
        ai_tasks.release(
            services,
            started.task_id,
            "the catch-up failed; it is logged",
            Tell(channel=started.channel, user=actor, text=failed),
        )
        raise
    times = {e.id: e.at for e in events}
    error = str(result.error) if result.error else None
    if result.stopped and not error:
        error = f"it stopped: {ai_text.STOPPED.get(result.stopped, result.stopped)}"
    text = ai_text.catchup_text(
        [(p.section, p.events, p.text) for p in result.points],
        times,
        since=since,
        reference=reference,
        left_out=result.left_out + unread,
        error=error,
        events=len(events) + unread,
    )
    with services.db.begin() as session:
        ai_tasks.finish(
            session,
            started.task_id,
            status="failed" if error else "done",
            outcome=result.raw,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            own_seconds=result.own_seconds,
            error=error,
        )
        effects.enqueue(
            session, started.incident_id, Tell(channel=started.channel, user=actor, text=text)
        )
    effects.drain(services, started.incident_id)
