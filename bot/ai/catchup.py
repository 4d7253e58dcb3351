"""The catch-up: what happened in a period, as points each tied to the timeline events
it comes from.

To stay within what one request may carry (``request_tokens``) and what a task may spend
(``max_tokens``), older events are summarised first: runs of the same routine event
(an alert firing again, a nudge) become one line with their count and span; if the
lines are still too long, the model summarises the older ones chunk by chunk, carrying
its summary forward, and the newest events go as they are. If even that would pass the
task's budget, the oldest chunks are left out and the answer says how many events.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.ai.agent import Budget, converse
from bot.ai.client import AiError, ChatClient, Exchange, estimate_tokens
from bot.ai.prompts import CATCHUP, SUMMARISE, Brief
from bot.ai.untrusted import CLOSE, OPEN, clean

SECTIONS = ("state", "roles", "decisions", "findings", "doing", "questions")
_POINT = re.compile(r"^\s*[-*•]\s*(?:\((\w+)\)\s*)?((?:\[E\d+\]\s*)*)(.+)$")
_IDS = re.compile(r"\[E(\d+)\]")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    kind: str  # its label
    by: str | None
    text: str  # already cleaned for the model


@dataclass(frozen=True)
class Point:
    section: str
    events: tuple[int, ...]  # the timeline events it comes from (known ones only)
    text: str


@dataclass
class Result:
    points: list[Point] = field(default_factory=list)
    raw: str = ""
    events: int = 0
    lines: int = 0
    left_out: int = 0  # older events not read, to stay within the budget
    summarised: int = 0  # events the model summarised before the catch-up
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    model_seconds: float = 0.0
    own_seconds: float = 0.0
    error: AiError | None = None
    stopped: str | None = None

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


# Routine events whose repeats differ only by their figures (an alert firing again with
# the metric's latest value): a run of them is one line with its first and last words.
ROUTINE = frozenset(
    {
        "Alert fired again",
        "Alert joined",
        "Update nudge",
        "Post-mortem reminder",
        "Runbook step done",
        "Runbook step undone",
    }
)


def _shape(event: Event) -> tuple[str, str]:
    text = _DIGITS.sub("#", event.text) if event.kind in ROUTINE else event.text
    return event.kind, text


def lines_of(events: Sequence[Event]) -> list[tuple[list[int], str]]:
    """One line an event, with a run of three or more alike (the same kind and words;
    for routine kinds, words but for figures) as one line with its count and span."""
    out: list[tuple[list[int], str]] = []
    i = 0
    while i < len(events):
        first = events[i]
        j = i + 1
        while j < len(events) and _shape(events[j]) == _shape(first):
            j += 1
        run = events[i:j]
        if len(run) >= 3:
            last = run[-1]
            who = f" {first.by}" if first.by else ""
            words = first.text[:200]
            if last.text != first.text:
                words += f" … last: {last.text[:200]}"
            out.append(
                (
                    [e.id for e in run],
                    f"[E{first.id}]..[E{last.id}] {first.at:%H:%M}-{last.at:%H:%M} {first.kind} "
                    f"x{len(run)}{who}: {words}",
                )
            )
        else:
            for e in run:
                by = f" {e.by}" if e.by else ""
                out.append(([e.id], f"[E{e.id}] {e.at:%m-%d %H:%M} {e.kind}{by}: {e.text[:400]}"))
        i = j
    return out


def _fenced(lines: Sequence[str]) -> str:
    return (
        f"{OPEN} timeline events, written by people and alerts>>>\n"
        + "\n".join(lines)
        + f"\n{CLOSE}"
    )


def _chunks(lines: list[tuple[list[int], str]], room: int) -> list[list[tuple[list[int], str]]]:
    chunks: list[list[tuple[list[int], str]]] = [[]]
    size = 0
    for line in lines:
        cost = estimate_tokens(line[1]) + 1
        if chunks[-1] and size + cost > room:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += cost
    return chunks


def parse_points(text: str, known: set[int]) -> list[Point]:
    points = []
    for line in text.splitlines():
        match = _POINT.match(line)
        if not match:
            continue
        section = (match.group(1) or "").lower()
        if section not in SECTIONS:
            section = "state" if not section else "findings"
        ids = tuple(
            dict.fromkeys(int(i) for i in _IDS.findall(match.group(2) or "") if int(i) in known)
        )
        words = _IDS.sub("", match.group(3)).strip()
        if words:
            points.append(Point(section, ids, words))
    return points


def catch_up(
    client: ChatClient,
    the_brief: Brief,
    period: str,
    events: Sequence[Event],
    *,
    request_tokens: int,
    max_tokens: int,
    deadline: float,
    clock: Callable[[], float],
    log: Callable[[Exchange], None] | None = None,
) -> Result:
    import time

    started = time.perf_counter()
    result = Result(events=len(events))
    if not events:  # nothing happened: nothing to send
        return result
    lines = lines_of(events)
    result.lines = len(lines)
    known = {e.id for e in events}
    head = f"The incident:\n{the_brief.text}\n\nThe period: {period}."
    overhead = (
        estimate_tokens(CATCHUP) + estimate_tokens(head) + client.settings.answer_tokens + 200
    )
    room = max(500, request_tokens - overhead)
    chunks = _chunks(lines, room)
    recent = chunks.pop() if chunks else []
    summary_room = room // 3  # the summary carried forward takes at most this much
    chunk_room = max(300, room - summary_room - estimate_tokens(SUMMARISE))
    older = [line for chunk in chunks for line in chunk]
    older_chunks = _chunks(older, chunk_room) if older else []
    # Each summarising request costs its chunk, the summary so far and its answer.
    per_chunk = chunk_room + summary_room + client.settings.answer_tokens
    final_cost = overhead + room
    while older_chunks and final_cost + per_chunk * len(older_chunks) > max_tokens:
        dropped = older_chunks.pop(0)
        result.left_out += sum(len(ids) for ids, _ in dropped)
    model_seconds = 0.0
    summary = ""

    def spend(messages: list[dict[str, Any]]) -> str | None:
        nonlocal model_seconds
        outcome = converse(
            client,
            messages,
            None,
            Budget(deadline, max_tokens - result.tokens, 0),
            clock=clock,
            log=log,
        )
        result.prompt_tokens += outcome.prompt_tokens
        result.completion_tokens += outcome.completion_tokens
        result.requests += outcome.requests
        model_seconds += outcome.model_seconds
        if outcome.error is not None:
            result.error = outcome.error
            return None
        if outcome.stopped:
            result.stopped = outcome.stopped
            return None
        return outcome.answer

    for chunk in older_chunks:
        asked = (f"The summary so far:\n{summary}\n\n" if summary else "") + _fenced(
            [text for _, text in chunk]
        )
        answer = spend(
            [{"role": "system", "content": SUMMARISE}, {"role": "user", "content": asked}]
        )
        if answer is None:
            break
        summary = clean(answer)[: summary_room * 4]
        result.summarised += sum(len(ids) for ids, _ in chunk)
    if result.error is None and result.stopped is None:
        parts = [head]
        if result.left_out:
            parts.append(f"{result.left_out} older events were left out to stay within the budget.")
        if summary:
            parts.append(
                f"{OPEN} summary of the older events, from people's and alerts' words>>>\n"
                f"{summary}\n{CLOSE}"
            )
        parts.append(
            _fenced([text for _, text in recent]) if recent else "No events in the period."
        )
        answer = spend(
            [
                {"role": "system", "content": CATCHUP},
                {"role": "user", "content": "\n\n".join(parts)},
            ]
        )
        if answer is not None:
            result.raw = answer
            result.points = parse_points(answer, known)
    result.model_seconds = model_seconds
    result.own_seconds = max(0.0, time.perf_counter() - started - model_seconds)
    return result
