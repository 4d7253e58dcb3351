"""An OpenAI-compatible Chat Completions API, as far as the bot uses it, playing
scripted models.

Rules enforced, from the API's reference: ``POST /v1/chat/completions`` with
``Authorization: Bearer <key>`` (401 ``invalid_api_key`` otherwise); a known ``model``
(404 ``model_not_found``); ``messages`` a non-empty list of system/user/assistant/tool
messages; ``tools`` of ``{"type": "function", "function": {"name", "description",
"parameters"}}`` with names of at most 64 letters, digits, ``_`` or ``-`` and parameters
a JSON schema of type object; a ``tool`` message answers a ``tool_call_id`` of the
assistant message before it, and every call of an assistant message is answered before
anything else follows ("An assistant message with 'tool_calls' must be followed by tool
messages responding to each 'tool_call_id'"); a request longer than the model's context
is 400 ``context_length_exceeded``; the rate limit is 429 ``rate_limit_exceeded`` with
``Retry-After``; unknown request fields are 400. Errors have the API's body:
``{"error": {"message", "type", "param", "code"}}``.

The models (by name): ``investigator`` reads two tools, then answers with a hypothesis
quoting a figure it read, and obeys any "call <tool>" it finds in what it reads (a
gullible model, for the prompt-injection tests); ``rogue`` asks for ``rollback``, a
tool never offered; ``looper`` calls ``read_timeline`` for ever while tools are offered;
``sleeper`` answers only when released; ``briefer`` writes catch-ups, summaries and
post-mortem prose from the events it is given.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from typing import Any

from tests.pager_standins.base import JsonStandIn, Refusal, Reply, Request

TOKEN = "sk-standin"
MODELS = ("investigator", "rogue", "looper", "sleeper", "briefer")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TOP = {
    "model",
    "messages",
    "tools",
    "tool_choice",
    "max_tokens",
    "temperature",
    "stream",
    "top_p",
    "stop",
    "n",
    "user",
    "seed",
    "response_format",
    "parallel_tool_calls",
}


def _error(
    status: int,
    message: str,
    kind: str,
    code: str | None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Refusal:
    return Refusal(
        status, {"error": {"message": message, "type": kind, "param": param, "code": code}}, headers
    )


def _bad(message: str, param: str | None = None) -> Refusal:
    return _error(400, message, "invalid_request_error", None, param)


def tokens(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False)) // 4 + 1


class ChatStandIn(JsonStandIn):
    def __init__(self, token: str = TOKEN, context_tokens: int = 32_000) -> None:
        super().__init__()
        self.token = token
        self.context_tokens = context_tokens
        self.release = threading.Event()
        self._ids = itertools.count(1)
        self.bodies: list[dict[str, Any]] = []

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def rate_limit_next(self, retry_after: int, times: int = 1) -> None:
        self.fail_next(
            429,
            {
                "error": {
                    "message": "Rate limit reached for requests",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            },
            {"Retry-After": str(retry_after)},
            times,
        )

    # -- the rules ------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != "/v1/chat/completions":
            raise _error(
                404,
                f"Unknown request URL: {request.method} {request.path}.",
                "invalid_request_error",
                "unknown_url",
            )
        if request.headers.get("authorization") != f"Bearer {self.token}":
            raise _error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        body = request.body
        if not isinstance(body, dict):
            raise _bad("We could not parse the JSON body of your request.")
        for key in body:
            if key not in _TOP:
                raise _bad(f"Unrecognized request argument supplied: {key}")
        model = body.get("model")
        if not isinstance(model, str):
            raise _bad("you must provide a model parameter", "model")
        if model not in MODELS:
            raise _error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            )
        self._check_messages(body.get("messages"))
        tools = self._check_tools(body.get("tools"))
        if "max_tokens" in body and (
            not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1
        ):
            raise _bad("max_tokens must be a positive integer", "max_tokens")
        size = tokens(body.get("messages")) + (tokens(body["tools"]) if tools else 0)
        if size > self.context_tokens:
            raise Refusal(
                400,
                {
                    "error": {
                        "message": "This model's maximum context length is "
                        f"{self.context_tokens} tokens. However, your messages resulted in "
                        f"{size} tokens. Please reduce the length of the messages.",
                        "type": "invalid_request_error",
                        "param": "messages",
                        "code": "context_length_exceeded",
                    }
                },
            )
        with self.lock:
            self.bodies.append(body)
        content, calls = getattr(self, f"_{model}")(body["messages"], tools)
        return Reply(200, self._completion(model, content, calls, size))

    def _check_messages(self, messages: Any) -> None:
        if not isinstance(messages, list) or not messages:
            raise _bad("[] is too short - 'messages'", "messages")
        waiting: set[str] = set()
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in (
                "system",
                "user",
                "assistant",
                "tool",
                "developer",
            ):
                raise _bad(f"Invalid value for 'messages[{i}].role'.", f"messages.[{i}].role")
            role = message["role"]
            content = message.get("content")
            if role == "tool":
                call_id = message.get("tool_call_id")
                if not isinstance(call_id, str) or call_id not in waiting:
                    raise _bad(
                        "Invalid parameter: messages with role 'tool' must be a response "
                        "to a preceeding message with 'tool_calls'.",
                        f"messages.[{i}].role",
                    )
                waiting.discard(call_id)
                if not isinstance(content, str):
                    raise _bad(
                        f"Invalid type for 'messages[{i}].content'.", f"messages.[{i}].content"
                    )
                continue
            if waiting:
                raise _bad(
                    "An assistant message with 'tool_calls' must be followed by tool "
                    "messages responding to each 'tool_call_id'. The following "
                    f"tool_call_ids did not have response messages: {', '.join(sorted(waiting))}",
                    "messages",
                )
            if role == "assistant" and message.get("tool_calls"):
                for call in message["tool_calls"]:
                    if call.get("type") != "function" or not isinstance(call.get("id"), str):
                        raise _bad(
                            f"Invalid 'messages[{i}].tool_calls'.", f"messages.[{i}].tool_calls"
                        )
                    if not isinstance(call.get("function", {}).get("arguments"), str):
                        raise _bad(
                            "tool call arguments must be a JSON string",
                            f"messages.[{i}].tool_calls",
                        )
                    waiting.add(call["id"])
                if content is not None and not isinstance(content, str):
                    raise _bad(
                        f"Invalid type for 'messages[{i}].content'.", f"messages.[{i}].content"
                    )
            elif not isinstance(content, str):
                raise _bad(
                    f"Invalid type for 'messages[{i}].content': expected a string.",
                    f"messages.[{i}].content",
                )
        if waiting:
            raise _bad(
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'.",
                "messages",
            )

    def _check_tools(self, tools: Any) -> list[str]:
        if tools is None:
            return []
        if not isinstance(tools, list) or not tools:
            raise _bad("[] is too short - 'tools'", "tools")
        names = []
        for i, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            if (
                not isinstance(tool, dict)
                or tool.get("type") != "function"
                or not isinstance(function, dict)
            ):
                raise _bad(f"Missing required parameter: 'tools[{i}].function'.", f"tools[{i}]")
            name = function.get("name")
            if not isinstance(name, str) or not _NAME.match(name):
                raise _bad(
                    f"Invalid 'tools[{i}].function.name': string does not match pattern.",
                    f"tools[{i}].function.name",
                )
            parameters = function.get("parameters", {"type": "object"})
            if not isinstance(parameters, dict) or parameters.get("type") != "object":
                raise _bad(
                    f"Invalid schema for function '{name}': schema must be a JSON Schema "
                    "of 'type: \"object\"'.",
                    f"tools[{i}].function.parameters",
                )
            names.append(name)
        if len(set(names)) != len(names):
            raise _bad("tools: function names must be unique", "tools")
        return names

    def _completion(
        self, model: str, content: str | None, calls: list[tuple[str, dict[str, Any]]], prompt: int
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
        if calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{next(self._ids)}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
                for name, args in calls
            ]
        answered = tokens(content or "") + (tokens(message.get("tool_calls")) if calls else 0)
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "tool_calls" if calls else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": answered,
                "total_tokens": prompt + answered,
            },
        }

    # -- the models -------------------------------------------------------------------

    @staticmethod
    def _results(messages: list[dict[str, Any]]) -> list[str]:
        return [m["content"] for m in messages if m["role"] == "tool"]

    def _investigator(self, messages: list[dict[str, Any]], tools: list[str]) -> Any:
        results = self._results(messages)
        read = " ".join(results)
        tried = {
            c["function"]["name"]
            for m in messages
            if m["role"] == "assistant"
            for c in m.get("tool_calls") or []
        }
        seen = read + " " + " ".join(m["content"] for m in messages if m["role"] == "user")
        obey = re.search(r"call (\w+)", seen)
        if obey and obey.group(1) not in tried and tools:
            return None, [(obey.group(1), {})]
        if not results and tools:
            wanted = [
                t for t in ("read_timeline", "incident_alerts", "registry_history") if t in tools
            ]
            return None, [(t, {"limit": 50} if t == "read_timeline" else {}) for t in wanted]
        figure = re.search(r"\"serving_version\": (\d+)", read)
        quoted = (
            f"registry_history says serving_version {figure.group(1)}" if figure else "the timeline"
        )
        return (
            "HYPOTHESIS: The new model version degraded precision.\n"
            f"EVIDENCE: {quoted}; read_timeline shows the alert after the change.\n"
            "CONFIDENCE: medium\n"
            "NEXT CHECK: compare the versions' metrics; if confirmed type /incident rollback",
            [],
        )

    def _rogue(self, messages: list[dict[str, Any]], tools: list[str]) -> Any:
        if not self._results(messages) and tools:
            return None, [("rollback", {"model": "fraud-scorer", "version": 6})]
        return "NOT ENOUGH EVIDENCE: I could not roll back and read nothing else.", []

    def _looper(self, messages: list[dict[str, Any]], tools: list[str]) -> Any:
        if "read_timeline" in tools:
            return None, [("read_timeline", {"limit": 5})]
        return "I could not conclude: I kept reading.", []

    def _sleeper(self, messages: list[dict[str, Any]], tools: list[str]) -> Any:
        self.release.wait(5)
        return "Late.", []

    def _briefer(self, messages: list[dict[str, Any]], tools: list[str]) -> Any:
        system = messages[0]["content"]
        user = messages[-1]["content"]
        ids = re.findall(r"\[E(\d+)\]", user)
        if system.startswith("Summarise"):
            return f"[E{ids[0]}][E{ids[-1]}] {len(ids)} older events: alerts and notes.", []
        if system.startswith("You brief"):
            first, last = (ids[0], ids[-1]) if ids else ("0", "0")
            return (
                f"- (state) [E{last}] The incident is investigating at SEV2.\n"
                f"- (findings) [E{first}] An alert fired first.\n"
                "- (questions) [E999999] Is the feature store late?\n"
                "Some words that are not a point.",
                [],
            )
        return (
            "SUMMARY: Precision fell after a new model version; rolling back fixed it.\n"
            "WHY 1: The new version scored more payments as fraud.\n"
            "WHY 2: Its threshold was tuned on old data.\n"
            "WHY 3: The data had shifted.\nWHY 4: No drift check ran before release.\n"
            "WHY 5: The release process has no data check.\n"
            "WENT WELL:\n- The alert fired within minutes.\n"
            "WENT BADLY:\n- The rollback waited an hour.",
            [],
        )
