"""``/incident investigate [question]``: the model reads the incident with read-only
tools and answers with hypotheses, each with its evidence, a confidence and the next
check, in a thread of the channel.

The command is acknowledged at once; the checks (set up, private, one task per
incident) run in the commands' pool and the conversation in the AI pool. Each tool call
shows in the thread as it happens; the answer is outbox work, and the whole
investigation (model, tool calls, tokens, duration) is a timeline event written with it.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.ai import agent, evidence, prompts
from bot.app import ai_tasks, effects
from bot.app.effect_kinds import AiAnswer
from bot.incidents import timeline
from bot.incidents.kinds import EventKind
from bot.slack.blocks import ai_text
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)


def start(services: Services, channel: str, question: str, actor: str, reply: Reply) -> None:
    started = ai_tasks.start(services, channel, "investigate", actor, question, reply)
    if started is None:
        return
    with ai_tasks.until_handed_on(services, started):
        try:
            thread = notify.post(
                services.client, channel, ai_text.head(actor, question, started.settings.model)
            )
        except SlackApiError as exc:  # the answer is owed durably; it goes to the channel
            log.warning("could not post the investigation's head: %s", exc.response.get("error"))
            thread = None
        ai_tasks.submit(run, services, started, question, actor, thread)


def run(
    services: Services,
    started: ai_tasks.Started,
    question: str,
    actor: str,
    thread: str | None,
) -> None:
    """The conversation, then its record: the task closed, the timeline event and the
    answer owed in one transaction."""
    wall = time.perf_counter()
    ai = started.settings
    try:
        names = ai_tasks.incident_names(services, started.incident_id)
        sensitive = tuple(services.settings.sensitive_columns)
        with services.db.begin() as session:
            incident = session.get(Incident, started.incident_id)
            assert incident is not None
            brief = prompts.brief(incident, names, sensitive)
            model_name = incident.registered_model or incident.service
        context = evidence.Context(
            db=services.db,
            incident_id=started.incident_id,
            sensitive=sensitive,
            private_allowed=ai.private_allowed,
            registry=services.registry,
            analyses=ai_tasks.Analyses(services, started.deadline),
            names=names,
            question=question,
        )
        toolset = evidence.investigation_tools(context, model_name)
        messages = prompts.investigate_messages(brief, question, sensitive)
        client = ai_tasks.client_for(ai)
        try:
            outcome = agent.converse(
                client,
                messages,
                toolset,
                agent.Budget(started.deadline, ai.max_tokens, ai.max_tool_calls),
                clock=ai_tasks.Clock.now,
                announce=lambda said: ai_tasks.say_in_thread(
                    services, started.channel, thread, ai_text.progress(said)
                ),
                log=ai_tasks.request_log(services, started.task_id),
            )
        finally:
            client.close()
    except Exception:
        failed = ":warning: The investigation failed; the bot's log has why."
        ai_tasks.release(
            services,
            started.task_id,
            "the investigation failed; it is logged",
            AiAnswer(channel=started.channel, thread_ts=thread, text=failed),
        )
        raise
    seconds = time.perf_counter() - wall
    error = str(outcome.error) if outcome.error else None
    refused = sum(1 for c in outcome.calls if c.refused)
    text = ai_text.answer_text(
        outcome.answer,
        model=ai.model,
        calls=len(outcome.calls),
        refused=refused,
        tokens=outcome.tokens,
        seconds=seconds,
        stopped=outcome.stopped,
        error=error,
    )
    calls = [c.record() for c in outcome.calls]
    status = "failed" if error else "stopped" if outcome.stopped else "done"
    with services.db.begin() as session:
        ai_tasks.finish(
            session,
            started.task_id,
            status=status,
            outcome=outcome.answer,
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            own_seconds=outcome.own_seconds,
            tool_calls=calls,
            error=error,
        )
        incident = session.get(Incident, started.incident_id)
        assert incident is not None
        said = f"AI investigation ({ai.model}): {len(calls)} tool calls, {outcome.tokens:,} tokens"
        if error:
            said += f"; stopped: {error}"
        elif outcome.stopped:
            said += f"; {ai_text.STOPPED.get(outcome.stopped, outcome.stopped)}"
        timeline.record(
            session,
            incident,
            EventKind.AI_INVESTIGATION,
            said,
            actor=actor,
            task=started.task_id,
            model=ai.model,
            question=question[:500],
            tool_calls=calls,
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            seconds=round(seconds, 1),
            stopped=outcome.stopped,
            error=error,
        )
        effects.enqueue(
            session,
            started.incident_id,
            AiAnswer(channel=started.channel, thread_ts=thread, text=text),
        )
    effects.drain(services, started.incident_id)
