"""The client against the Chat Completions stand-in: tool calling, and every way the
API says no, in words for a person."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import httpx
import pytest

from bot.ai import agent
from bot.ai.client import (
    ChatClient,
    ContextTooLong,
    NotFound,
    RateLimited,
    ServerError,
    TimedOut,
    Unauthorized,
)
from bot.ai.settings import AiSettings
from bot.ai.tools import Tool, ToolSet
from tests.ai.conftest import FakeClock
from tests.ai.standin import TOKEN, ChatStandIn

ASK = [{"role": "user", "content": "What happened?"}]


def _client(
    chat: ChatStandIn, clock: FakeClock, model: str = "investigator", **changes: Any
) -> ChatClient:
    settings = AiSettings(chat.base_url, model, changes.pop("token", TOKEN), **changes)
    return ChatClient(settings, sleep=clock.sleep, clock=clock.now)


def _tools(seen: list[dict[str, Any]]) -> ToolSet:
    def read(args: dict[str, Any]) -> Any:
        seen.append(args)
        return {"events": [{"event": 1, "text": "precision fell to 0.61"}]}

    return ToolSet(
        [
            Tool(
                "read_timeline",
                "the timeline",
                {
                    "type": "object",
                    "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 200}},
                    "additionalProperties": False,
                },
                read,
                lambda a: "Reading the timeline…",
            ),
            Tool(
                "registry_history",
                "the registry",
                {"type": "object", "properties": {}, "additionalProperties": False},
                lambda a: {"serving_version": 7},
                lambda a: "Reading the registry history of fraud-scorer…",
            ),
        ]
    )


def test_a_model_calls_tools_and_concludes_quoting_what_they_returned(
    chat: ChatStandIn, clock: FakeClock
) -> None:
    seen: list[dict[str, Any]] = []
    said: list[str] = []
    outcome = agent.converse(
        _client(chat, clock),
        list(ASK),
        _tools(seen),
        agent.Budget(clock.now() + 60, 50_000, 10),
        clock=clock.now,
        announce=said.append,
    )
    assert outcome.error is None and outcome.stopped is None
    assert said == ["Reading the timeline…", "Reading the registry history of fraud-scorer…"]
    assert seen == [{"limit": 50}]
    assert "serving_version 7" in outcome.answer
    assert outcome.requests == 2 and outcome.tokens > 0


def test_a_tool_not_offered_is_refused_and_said(chat: ChatStandIn, clock: FakeClock) -> None:
    said: list[str] = []
    outcome = agent.converse(
        _client(chat, clock, "rogue"),
        list(ASK),
        _tools([]),
        agent.Budget(clock.now() + 60, 50_000, 10),
        clock=clock.now,
        announce=said.append,
    )
    assert outcome.calls[0].refused and outcome.calls[0].name == "rollback"
    assert said == [
        "Refused a call to rollback: there is no tool 'rollback' here; the tools offered are "
        "read_timeline, registry_history, all read-only."
    ]
    assert outcome.answer.startswith("NOT ENOUGH EVIDENCE")


def test_a_model_that_loops_is_stopped_at_the_tool_budget_and_asked_to_conclude(
    chat: ChatStandIn, clock: FakeClock
) -> None:
    outcome = agent.converse(
        _client(chat, clock, "looper"),
        list(ASK),
        _tools([]),
        agent.Budget(clock.now() + 60, 50_000, 3),
        clock=clock.now,
    )
    assert len(outcome.calls) == 3 and outcome.stopped == "tool_calls"
    assert outcome.answer == "I could not conclude: I kept reading."
    last = chat.bodies[-1]
    assert "tools" not in last and last["messages"][-1]["content"] == agent.WRAP_UP


def test_the_token_budget_stops_a_task_before_it_sends_more(
    chat: ChatStandIn, clock: FakeClock
) -> None:
    outcome = agent.converse(
        _client(chat, clock, "looper"),
        list(ASK),
        _tools([]),
        agent.Budget(clock.now() + 60, 900, 50),
        clock=clock.now,
    )
    assert outcome.stopped == "tokens" and outcome.tokens <= 900


def test_a_rate_limit_is_waited_out_for_its_retry_after(
    chat: ChatStandIn, clock: FakeClock
) -> None:
    chat.rate_limit_next(7)
    answer = _client(chat, clock, "briefer").complete(ASK, None, deadline=clock.now() + 60)
    assert clock.slept == [7.0] and answer.content.startswith("SUMMARY")


def test_a_rate_limit_past_the_deadline_is_said_not_waited(
    chat: ChatStandIn, clock: FakeClock
) -> None:
    chat.rate_limit_next(900)
    with pytest.raises(RateLimited, match=r"busy \(429, rate limited\) and asked to wait 900 s"):
        _client(chat, clock).complete(ASK, None, deadline=clock.now() + 60)
    assert clock.slept == []


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"token": "sk-wrong"}, Unauthorized, r"refused the bot's credentials \(401\)"),
        ({"model": "gpt-nothing"}, NotFound, "has no model 'gpt-nothing'"),
    ],
)
def test_credentials_and_unknown_models_are_said_in_words(
    chat: ChatStandIn, clock: FakeClock, change: dict[str, str], error: type, words: str
) -> None:
    model = change.pop("model", "investigator")
    with pytest.raises(error, match=words):
        _client(chat, clock, model, **change).complete(ASK, None, deadline=clock.now() + 60)


def test_a_server_error_is_tried_again_once(chat: ChatStandIn, clock: FakeClock) -> None:
    failure = {
        "error": {
            "message": "The server had an error",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    chat.fail_next(500, failure)
    assert _client(chat, clock, "briefer").complete(ASK, None, deadline=clock.now() + 60).content
    chat.fail_next(500, failure, times=2)
    with pytest.raises(ServerError, match=r"failed \(500\) twice"):
        _client(chat, clock, "briefer").complete(ASK, None, deadline=clock.now() + 60)


def test_context_length_exceeded_is_said(clock: FakeClock) -> None:
    with (
        ChatStandIn(context_tokens=50) as small,
        pytest.raises(ContextTooLong, match="longer than the model can read"),
    ):
        _client(small, clock).complete(
            [{"role": "user", "content": "x" * 400}], None, deadline=clock.now() + 60
        )


def test_a_model_that_does_not_answer_in_time_is_given_up(chat: ChatStandIn) -> None:
    settings = AiSettings(chat.base_url, "sleeper", TOKEN, call_seconds=0.2)
    chat.release.clear()
    try:
        with pytest.raises(TimedOut, match="did not answer within its deadline"):
            ChatClient(settings).complete(ASK, None, deadline=1e12)
    finally:
        chat.release.set()


def test_the_standin_holds_the_bot_to_tool_call_id_pairing(chat: ChatStandIn) -> None:
    unpaired = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_x", "type": "function", "function": {"name": "a", "arguments": "{}"}}
            ],
        },
        {"role": "user", "content": "and?"},
    ]
    stray = [
        {"role": "user", "content": "hi"},
        {"role": "tool", "tool_call_id": "c", "content": "{}"},
    ]
    for messages in (unpaired, stray):
        answer = httpx.post(
            f"{chat.base_url}/chat/completions",
            json={"model": "briefer", "messages": messages},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert answer.status_code == 400
        assert "tool" in json.loads(answer.content)["error"]["message"]
    assert threading.active_count() > 0


def test_a_long_catchup_summarises_older_events_first_within_each_request(
    chat: ChatStandIn, clock: FakeClock
) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.ai.catchup import Event, catch_up
    from bot.ai.prompts import Brief

    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    events = [
        Event(
            i, start + timedelta(minutes=i), "Note", "@bob", f"checked partition {i} of the store"
        )
        for i in range(1, 121)
    ]
    before = len(chat.bodies)
    client = ChatClient(
        AiSettings(chat.base_url, "briefer", TOKEN, answer_tokens=200),
        sleep=clock.sleep,
        clock=clock.now,
    )
    result = catch_up(
        client,
        Brief("incident: INC-9"),
        "today",
        events,
        request_tokens=1500,
        max_tokens=20_000,
        deadline=clock.now() + 60,
        clock=clock.now,
    )
    sent = chat.bodies[before:]
    assert result.error is None and result.requests == len(sent) > 2
    assert [b["messages"][0]["content"].split(" ")[0] for b in sent[:-1]] == ["Summarise"] * (
        len(sent) - 1
    )
    assert all(len(json.dumps(b["messages"])) // 4 < 1500 for b in sent)
    verbatim = re.findall(r"^\[E\d+\] 03-01 ", sent[-1]["messages"][1]["content"], re.M)
    assert result.summarised + len(verbatim) == 120 and result.left_out == 0
    assert [p.section for p in result.points] == ["state", "findings", "questions"]
    assert result.points[0].events == (120,)  # the newest event, sent as it is
