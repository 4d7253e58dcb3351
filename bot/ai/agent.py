"""One task's conversation with the model: ask, run the tools it calls (read-only, only
those offered), answer each call under its ``tool_call_id``, and stop at the answer, at
the deadline, or when the budget of tokens or tool calls is spent.

Time comes from an injected clock (``clock()``, seconds), so tests never wait on the
wall clock; the bot's own time (everything but waiting for the model) is measured apart.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.ai.client import AiError, ChatClient, Exchange, estimate_tokens
from bot.ai.tools import Called, ToolSet

WRAP_UP = (
    "The budget of this task is spent: no more tools. Answer now from what you have, and "
    "say what you could not check."
)


@dataclass(frozen=True)
class Budget:
    deadline: float  # a clock() value
    max_tokens: int
    max_tool_calls: int


@dataclass
class Outcome:
    answer: str = ""
    calls: list[Called] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    stopped: str | None = None  # "tool_calls", "tokens", "deadline": a budget ran out
    error: AiError | None = None
    model_seconds: float = 0.0
    own_seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def _tokens_of(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int:
    return estimate_tokens(json.dumps(messages, ensure_ascii=False)) + (
        estimate_tokens(json.dumps(tools)) if tools else 0
    )


def converse(
    client: ChatClient,
    messages: list[dict[str, Any]],
    toolset: ToolSet | None,
    budget: Budget,
    *,
    clock: Callable[[], float],
    announce: Callable[[str], None] | None = None,
    log: Callable[[Exchange], None] | None = None,
) -> Outcome:
    """Run the conversation to its answer; never raises AiError (it is the outcome's)."""
    started = time.perf_counter()
    outcome = Outcome()
    tools = toolset.schemas() if toolset is not None else None
    wrapping_up = False
    try:
        while True:
            offered = None if wrapping_up else tools
            if clock() >= budget.deadline:
                outcome.stopped = "deadline"
                break
            if outcome.tokens + _tokens_of(messages, offered) > budget.max_tokens:
                outcome.stopped = outcome.stopped or "tokens"
                break
            completion = client.complete(messages, offered, deadline=budget.deadline, log=log)
            outcome.requests += 1
            outcome.model_seconds += completion.model_seconds
            outcome.prompt_tokens += completion.prompt_tokens or _tokens_of(messages, offered)
            outcome.completion_tokens += completion.completion_tokens
            calls = completion.tool_calls
            if not calls or toolset is None or wrapping_up:
                outcome.answer = completion.content.strip()
                break
            messages.append(
                {
                    "role": "assistant",
                    "content": completion.message.get("content"),
                    "tool_calls": calls,
                }
            )
            for call in calls:
                function = call.get("function") if isinstance(call.get("function"), dict) else {}
                assert isinstance(function, dict)
                if len(outcome.calls) >= budget.max_tool_calls:
                    outcome.stopped = "tool_calls"
                    content = json.dumps({"error": "refused: the task's tool budget is spent"})
                else:
                    done = toolset.call(
                        str(function.get("name", "")), function.get("arguments"), announce
                    )
                    outcome.calls.append(done)
                    content = done.content
                messages.append(
                    {"role": "tool", "tool_call_id": str(call.get("id", "")), "content": content}
                )
            if outcome.stopped == "tool_calls":
                wrapping_up = True
                messages.append({"role": "user", "content": WRAP_UP})
    except AiError as failure:
        outcome.error = failure
    outcome.own_seconds = max(0.0, time.perf_counter() - started - outcome.model_seconds)
    return outcome
