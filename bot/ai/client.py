"""One client for an OpenAI-compatible Chat Completions API (vLLM, Ollama, llama.cpp's
server, LiteLLM, OpenAI, Azure OpenAI's compatible endpoint).

httpx, not the ``openai`` package: the bot needs one POST, its own deadline that covers
the whole exchange (not a read timeout per chunk), a cap on the answer's size, and
errors sorted into sentences for a person; the package would add a dependency and its
own retries, which would fight the task's deadline.

Rules it keeps: ``Authorization: Bearer`` when a token is set; a 429 is waited out for
its ``Retry-After`` when that ends before the deadline, else said; a 5xx or dropped
connection is tried again once; 401/403, 404 and ``context_length_exceeded`` are said
in words and never retried.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.ai.settings import AiSettings
from bot.text import sizes

MAX_ANSWER_BYTES = 2 * 1024 * 1024
RATE_LIMIT_TRIES = 3


class AiError(Exception):
    """The model could not answer; ``str()`` is the sentence for the person."""

    code = "error"


class Unauthorized(AiError):
    code = "unauthorized"


class NotFound(AiError):
    code = "not_found"


class RateLimited(AiError):
    code = "rate_limited"


class ServerError(AiError):
    code = "server_error"


class ContextTooLong(AiError):
    code = "context_length_exceeded"


class TimedOut(AiError):
    code = "timed_out"


class BadAnswer(AiError):
    code = "bad_answer"


@dataclass(frozen=True)
class Completion:
    """The model's message (role ``assistant``) and what it cost."""

    message: dict[str, Any]
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    model_seconds: float  # time spent waiting for the model, retries included

    @property
    def content(self) -> str:
        return str(self.message.get("content") or "")

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        calls = self.message.get("tool_calls") or []
        return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []


@dataclass
class Exchange:
    """What one request sent and got, for the log (``incidentbot ai-log``)."""

    body: dict[str, Any]
    status: int | None = None
    usage: dict[str, Any] = field(default_factory=dict)


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: about four characters a token, as for English text."""
    return len(text) // 4 + 1


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_message(response_body: bytes) -> tuple[str, str]:
    """``(code, message)`` of an OpenAI-shaped error body, or empty strings."""
    try:
        data = json.loads(response_body)
    except ValueError:
        return "", ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or error.get("type") or ""), str(error.get("message") or "")
    if isinstance(error, str):  # some servers (Ollama, llama.cpp) answer {"error": "..."}
        return "", error
    return "", ""


class ChatClient:
    def __init__(
        self,
        settings: AiSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._sleep, self._clock = sleep, clock
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if settings.token:
            headers["Authorization"] = f"Bearer {settings.token}"
        self._http = httpx.Client(headers=headers, transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def body(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": messages,
            "max_tokens": self.settings.answer_tokens,
            "temperature": 0,
        }
        if tools:
            body["tools"] = tools
            body["tool_choice"] = "auto"
        return body

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        *,
        deadline: float,
        log: Callable[[Exchange], None] | None = None,
    ) -> Completion:
        """One answer, within ``deadline`` (a ``clock()`` value). Raises AiError."""
        body = self.body(messages, tools)
        exchange = Exchange(body)
        started = time.perf_counter()
        tries = 0
        server_retried = False
        try:
            while True:
                tries += 1
                remaining = min(self.settings.call_seconds, deadline - self._clock())
                if remaining <= 0:
                    raise TimedOut(self._late())
                try:
                    status, headers, raw = self._post(body, remaining)
                except httpx.TimeoutException:
                    raise TimedOut(self._late()) from None
                except httpx.TransportError as failure:
                    if not server_retried and deadline - self._clock() > 1:
                        server_retried = True
                        self._sleep(1.0)
                        continue
                    raise ServerError(
                        f"The model's API at {self.settings.url} could not be reached "
                        f"({type(failure).__name__})."
                    ) from None
                exchange.status = status
                if status == 200:
                    completion = self._read(raw, time.perf_counter() - started)
                    exchange.usage = {
                        "prompt_tokens": completion.prompt_tokens,
                        "completion_tokens": completion.completion_tokens,
                    }
                    return completion
                code, message = _error_message(raw)
                if status == 429:
                    wait = _retry_after(headers.get("retry-after"))
                    wait = 1.0 if wait is None else wait
                    if tries < RATE_LIMIT_TRIES and self._clock() + wait < deadline:
                        self._sleep(wait)
                        continue
                    raise RateLimited(
                        f"The model's API is busy (429, rate limited) and asked to wait "
                        f"{wait:.0f} s, past this task's deadline. Try again in a few minutes."
                    )
                if status >= 500:
                    if not server_retried and self._clock() + 1 < deadline:
                        server_retried = True
                        self._sleep(1.0)
                        continue
                    raise ServerError(
                        f"The model's API failed ({status}) twice; the operator can check the "
                        "server's log."
                    )
                if status in (401, 403):
                    raise Unauthorized(
                        f"The model's API refused the bot's credentials ({status}): the "
                        "operator checks INCIDENTBOT_AI_TOKEN."
                    )
                if status == 404:
                    raise NotFound(
                        f"The model's API has no model {self.settings.model!r} or no "
                        f"/chat/completions at {self.settings.url} (404): the operator checks "
                        "INCIDENTBOT_AI_URL and INCIDENTBOT_AI_MODEL."
                    )
                if code == "context_length_exceeded" or "context length" in message.lower():
                    raise ContextTooLong(
                        "What the bot sent is longer than the model can read "
                        "(context_length_exceeded): lower INCIDENTBOT_AI_REQUEST_TOKENS, ask "
                        "about a shorter period, or use a model with a longer context."
                    )
                raise BadAnswer(
                    f"The model's API refused the request ({status}"
                    + (f", {code}" if code else "")
                    + ")."
                )
        finally:
            if log is not None:
                log(exchange)

    def _late(self) -> str:
        return (
            f"The model did not answer within its deadline "
            f"({self.settings.call_seconds:g} s a request, {self.settings.task_seconds:g} s a "
            "task)."
        )

    def _post(self, body: dict[str, Any], seconds: float) -> tuple[int, httpx.Headers, bytes]:
        """POST and read the whole answer within ``seconds`` and the size cap."""
        end = self._clock() + seconds
        timeout = httpx.Timeout(seconds, connect=min(seconds, 10.0))
        with self._http.stream(
            "POST", self.settings.endpoint, json=body, timeout=timeout
        ) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise BadAnswer(
                        f"The model's answer was larger than {sizes.size(MAX_ANSWER_BYTES)}."
                    )
                if self._clock() > end:
                    raise httpx.ReadTimeout("the answer took too long")
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)

    @staticmethod
    def _read(raw: bytes, seconds: float) -> Completion:
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            message = choice["message"]
            if not isinstance(message, dict) or message.get("role") != "assistant":
                raise ValueError("not an assistant message")
        except (ValueError, KeyError, IndexError, TypeError):
            raise BadAnswer(
                "The model's API answered with something that is not a chat completion."
            ) from None
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        content = str(message.get("content") or "")
        prompt = usage.get("prompt_tokens")
        answered = usage.get("completion_tokens")
        return Completion(
            message=message,
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=int(prompt) if isinstance(prompt, int) else 0,
            completion_tokens=int(answered)
            if isinstance(answered, int)
            else estimate_tokens(content),
            model_seconds=seconds,
        )
