"""What the AI investigator's use cases share: whether it is set up, whether an incident
may be sent to the model, one task per incident at a time, the task's pool, the log of
what was sent, and the analyses its tools may run.

A task is a row (``AiTask``) whose ``running_incident`` is unique: starting one is an
insert that fails while another runs for the same incident. A task that a restart cut
short frees its incident when its deadline passes (the next start marks it abandoned).
The conversation runs in a small pool of its own, so a slow model never holds up the
commands' pool; everything it owes Slack at the end is outbox work.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.ai.client import ChatClient, Exchange
from bot.ai.settings import HOW_TO_TURN_ON, AiSettings
from bot.app import effects
from bot.app.background import QueueFull
from bot.app.common import NOT_AN_INCIDENT
from bot.app.effect_kinds import AiAnswer, Effect
from bot.incidents import queries
from bot.slack.blocks import ai_text
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import AiRequest, AiTask, Incident, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

_POOL_LOCK = threading.Lock()
_QUEUE: queue.Queue[tuple[Future[Any], Callable[..., None], tuple[Any, ...]]] = queue.Queue()
_WORKERS: list[threading.Thread] = []
_RUNNING: set[Future[Any]] = set()
WORKERS = 2  # conversations at once, across incidents


def _work() -> None:
    while True:
        future, fn, args = _QUEUE.get()
        if future.set_running_or_notify_cancel():
            try:
                fn(*args)
                future.set_result(None)
            except BaseException as failure:  # kept on the future, logged by its callback
                future.set_exception(failure)


def submit(fn: Callable[..., None], *args: Any) -> Future[Any]:
    """Run ``fn(*args)`` on one of the AI workers. They are daemon threads: a process
    that stops does not wait out a model's answer (the task's row frees its incident
    when its deadline passes)."""
    future: Future[Any] = Future()
    with _POOL_LOCK:
        while len(_WORKERS) < WORKERS:
            worker = threading.Thread(target=_work, name=f"ai-{len(_WORKERS)}", daemon=True)
            worker.start()
            _WORKERS.append(worker)
        _RUNNING.add(future)

    def done(finished: Future[Any]) -> None:
        with _POOL_LOCK:
            _RUNNING.discard(finished)
        error = finished.exception()
        if error is not None:
            log.error("AI task failed", exc_info=error)

    future.add_done_callback(done)
    _QUEUE.put((future, fn, args))
    return future


def wait_idle(timeout: float) -> bool:
    """Wait (at most ``timeout`` s) for the tasks queued or running now (tests)."""
    with _POOL_LOCK:
        running = set(_RUNNING)
    return not wait(running, timeout=timeout).not_done


@dataclass(frozen=True)
class Started:
    """A task that holds its incident: its row, and what the conversation needs."""

    task_id: int
    incident_id: int
    reference: str
    channel: str
    settings: AiSettings
    deadline: float  # a clock() value


class Clock:
    """The task's clock (monotonic seconds); tests give their own."""

    now: Callable[[], float] = staticmethod(time.monotonic)
    sleep: Callable[[float], None] = staticmethod(time.sleep)


def settings_or_say(services: Services, reply: Reply) -> AiSettings | None:
    """The settings, or None after telling the person how to turn the investigator on."""
    if services.settings.ai is None:
        reply(text=ai_text.not_configured(HOW_TO_TURN_ON))
    return services.settings.ai


def start(
    services: Services,
    channel: str,
    kind: str,
    actor: str,
    question: str,
    reply: Reply,
) -> Started | None:
    """Claim the incident for one task, or tell the person why not (changing nothing)."""
    ai = settings_or_say(services, reply)
    if ai is None:
        return None
    now = utcnow()
    refusal: str | None = None
    with services.db.begin() as session:
        incident = queries.by_channel(session, channel)
        if incident is None:
            refusal = NOT_AN_INCIDENT
        elif incident.private and not ai.private_allowed:
            refusal = ai_text.private_refused(incident.reference)
        else:
            incident_id, reference = incident.id, incident.reference
            # A task cut short by a restart frees its incident once its deadline has passed.
            session.execute(
                update(AiTask)
                .where(AiTask.running_incident == incident_id, AiTask.deadline_at < now)
                .values(running_incident=None, status="abandoned", finished_at=now)
            )
    if refusal is not None:  # said after the transaction: no HTTP call inside one
        reply(text=refusal)
        return None
    try:
        with services.db.begin() as session:
            task = AiTask(
                incident_id=incident_id,
                kind=kind,
                asked_by=actor,
                question=question[:2000],
                model=ai.model,
                status="running",
                started_at=now,
                deadline_at=now + timedelta(seconds=ai.task_seconds),
                running_incident=incident_id,
                tool_calls=[],
                outcome="",
            )
            session.add(task)
            session.flush()
            task_id = task.id
    except IntegrityError:
        with services.db.begin() as session:
            running = session.scalar(select(AiTask).where(AiTask.running_incident == incident_id))
            busy = (
                ai_text.busy(reference, running.kind, running.asked_by, running.deadline_at)
                if running is not None
                else "The AI investigator was busy on this incident a moment ago; try again."
            )
        reply(text=busy)
        return None
    return Started(task_id, incident_id, reference, channel, ai, Clock.now() + ai.task_seconds)


def client_for(ai: AiSettings) -> ChatClient:
    return ChatClient(ai, sleep=Clock.sleep, clock=Clock.now)


def request_log(services: Services, task_id: int) -> Callable[[Exchange], None]:
    """Keep each request as it was sent (``incidentbot ai-log``), in its own transaction."""
    seq = iter(range(1, 1_000_000))

    def keep(exchange: Exchange) -> None:
        with services.db.begin() as session:
            session.add(
                AiRequest(
                    task_id=task_id,
                    seq=next(seq),
                    body=exchange.body,
                    status=exchange.status,
                    usage=exchange.usage or None,
                )
            )

    return keep


def finish(
    session: Any,
    task_id: int,
    *,
    status: str,
    outcome: str,
    prompt_tokens: int,
    completion_tokens: int,
    own_seconds: float,
    tool_calls: list[dict[str, Any]] | None = None,
    error: str | None = None,
) -> AiTask:
    """Close the task in the caller's transaction and free its incident."""
    task = session.get(AiTask, task_id)
    assert task is not None
    task.status = status
    task.outcome = outcome[:20_000]
    task.prompt_tokens = prompt_tokens
    task.completion_tokens = completion_tokens
    task.own_seconds = own_seconds
    task.tool_calls = tool_calls or []
    task.error = error
    task.finished_at = utcnow()
    task.running_incident = None
    return task  # type: ignore[no-any-return]


@contextmanager
def until_handed_on(services: Services, started: Started) -> Iterator[None]:
    """The steps between claiming a task and handing it to the AI workers: one that fails
    frees the incident now, not when the task's deadline passes."""
    try:
        yield
    except BaseException as exc:
        release(services, started.task_id, f"failed before it began ({type(exc).__name__})")
        raise


def release(services: Services, task_id: int, error: str, owed: Effect | None = None) -> None:
    """A task that failed before its end: freed, its reason kept, and what the person
    must hear of it (``owed``) owed in the same transaction."""
    incident_id = None
    with services.db.begin() as session:
        task = finish(
            session,
            task_id,
            status="failed",
            outcome="",
            prompt_tokens=0,
            completion_tokens=0,
            own_seconds=0.0,
            error=error,
        )
        if owed is not None:
            incident_id = task.incident_id
            effects.enqueue(session, incident_id, owed)
    if incident_id is not None:
        effects.drain(services, incident_id)


def post_answer(services: Services, incident_id: int, effect: AiAnswer) -> None:
    """The outbox's performer: the answer in its thread."""
    fields: dict[str, Any] = {}
    if effect.thread_ts:
        fields["thread_ts"] = effect.thread_ts
    if effect.blocks:
        fields["blocks"] = effect.blocks
    notify.post(services.client, effect.channel, effect.text, **fields)


def say_in_thread(services: Services, channel: str, thread_ts: str | None, text: str) -> None:
    """A progress line: a courtesy (the answer is what must arrive), so a failure is logged."""
    if thread_ts is None:
        return
    try:
        services.client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=text, unfurl_links=False
        )
    except SlackApiError as exc:
        log.info("could not post a progress line: %s", exc.response.get("error"))


class Analyses:
    """Drift and fairness for the tools: the data sets found as the commands find them
    (the data folder, the egress rule, the size limits), run in the heavy pool behind
    the commands' analyses, waited for until the task's deadline."""

    def __init__(self, services: Services, deadline: float) -> None:
        self.services, self.deadline = services, deadline

    def _queued(self, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        from bot.ai.tools import Refused

        done: Future[dict[str, Any]] = Future()

        def run() -> None:
            try:
                done.set_result(work())
            except Exception as failure:  # handed to the waiting tool
                done.set_exception(failure)

        try:
            self.services.background.submit_heavy(run, waiting=self.services.settings.drift_queue)
        except QueueFull as full:
            raise Refused(f"{full.ahead} analyses are already queued; try later") from None
        try:
            return done.result(timeout=max(0.1, self.deadline - Clock.now()))
        except TimeoutError:
            raise Refused("the analysis did not finish before the task's deadline") from None

    def _where(self) -> Any:
        """How the commands reach data: the data folder, the allowed buckets and tables,
        the egress rule and the size limits (``bot.diagnosis.sources.compare.Where``)."""
        from bot.diagnosis.sources import compare

        settings = self.services.settings
        return compare.Where(
            places=settings.data_places, limits=settings.drift_limits, data_dir=settings.data_dir
        )

    def drift(
        self,
        reference: str,
        current: str,
        prediction: str | None,
        rows: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The drift the command would find; ``rows``: the rows an earlier run compared, as
        it recorded them (``Window.described``), so a windowed run can be asked again."""
        from bot.ai.tools import Refused
        from bot.app.drift import findings
        from bot.diagnosis import datasets
        from bot.diagnosis.drift import DriftInputError
        from bot.diagnosis.sources import compare
        from bot.diagnosis.sources.places import window

        def work() -> dict[str, Any]:
            asked = rows or {}
            try:
                until = _moment(asked.get("until")) or datetime.now(UTC)
                where = dataclasses.replace(
                    self._where(),
                    window=window(
                        asked.get("time_column"),
                        asked.get("window"),
                        asked.get("against"),
                        list(asked.get("where") or ()),
                    ),
                )
                found = compare.drift(
                    where.place(reference),
                    where.place(current),
                    where,
                    until,
                    prediction=prediction,
                )
            except (datasets.SourceError, DriftInputError) as problem:
                raise Refused(str(problem)) from None
            facts = findings(found.report, reference, current)
            facts.update(method=found.method, error_bound=found.error)
            if rows:
                facts["rows"] = rows
            return facts

        return self._queued(work)

    def fairness(
        self, reference: str, current: str, group: str, prediction: str, label: str | None
    ) -> dict[str, Any]:
        from bot.ai.tools import Refused
        from bot.diagnosis import datasets
        from bot.diagnosis.fairness import FairnessInputError, Request, analyse, mask
        from bot.diagnosis.sources import compare

        def work() -> dict[str, Any]:
            where = self._where()
            groups = (tuple(c.strip() for c in group.split(",")),)
            request = Request(groups=groups, prediction=prediction, label=label)
            try:
                ref, cur, method = compare.fairness_tables(
                    where.place(reference),
                    where.place(current),
                    where,
                    datetime.now(UTC),
                    compare.needed(request),
                )
                facts = analyse(ref, cur, request)
            except (datasets.SourceError, FairnessInputError) as problem:
                raise Refused(str(problem)) from None
            # Sensitive columns' values never reach the model, private incident or not.
            shown = mask(facts, self.services.settings.sensitive_columns)
            kept = {k: v for k, v in shown.items() if k in ("verdict", "breakdowns", "quality")}
            return {**kept, "method": method}

        return self._queued(work)


def incident_names(services: Services, incident_id: int) -> dict[str, str]:
    """The display names of everyone the incident names (asked of Slack, outside any
    transaction; remembered names where Slack does not answer)."""
    from bot.app import people as people_names
    from bot.incidents import notes

    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        people = notes.people(session, incident) if incident is not None else set()
    try:
        return people_names.names_for(services, people)
    except SlackApiError:
        return {}


def _moment(text: Any) -> datetime | None:
    """An ISO 8601 time the model passed back (``until``), in UTC; None when not given."""
    from bot.diagnosis.datasets import SourceError

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(
            f"until {str(text)[:40]!r} is not a time such as 2026-12-07T03:00:00+00:00."
        ) from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
