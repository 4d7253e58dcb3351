"""One HTTP exchange with a provider (a pager, a tracker, a wiki): a deadline on every
call, at most ``MAX_BODY`` bytes of answer read, and a network failure turned into a
retryable refusal. The caller names its refusal (``refused(words, retry=, code=, after=)``,
a ``bot.outbox.failures.Refused``), so each provider's failures carry its name."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from bot.text import sizes

TIMEOUT = 10.0  # seconds for each call
MAX_BODY = 1024 * 1024  # a provider's answer is small; more is not read


Refusal = Callable[..., Exception]  # (words, *, retry, code, after=None)
E = TypeVar("E", bound=Exception)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]  # a JSON object, or {} for anything else
    headers: httpx.Headers
    data: Any = None  # the JSON as sent (a list, for some listings)


def client(base_url: str, headers: dict[str, str], transport: Any = None) -> httpx.Client:
    """The operator's provider: no proxy from the environment, no redirects elsewhere."""
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        headers=headers,
        timeout=TIMEOUT,
        trust_env=False,
        follow_redirects=False,
        transport=transport,
    )


def exchange(
    refused: Refusal, http: httpx.Client, provider: str, method: str, path: str, **kwargs: Any
) -> Answer:
    try:
        with http.stream(method, path, **kwargs) as response:
            raw = bytearray()
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) > MAX_BODY:
                    raise refused(
                        f"{provider} answered with more than {sizes.size(MAX_BODY)}",
                        retry=False,
                        code="too_large",
                    )
    except httpx.TimeoutException:
        raise refused(f"{provider} did not answer in time", retry=True, code="timeout") from None
    except httpx.HTTPError as exc:
        raise refused(
            f"{provider} could not be reached ({type(exc).__name__})",
            retry=True,
            code="unreachable",
        ) from None
    try:
        data = json.loads(bytes(raw)) if raw else None
    except ValueError:
        data = None
    body = data if isinstance(data, dict) else {}
    return Answer(response.status_code, body, response.headers, data)


def wait_asked(headers: httpx.Headers, *names: str) -> float | None:
    """Seconds a rate limit asked us to wait, from the first header that says."""
    for name in names:
        try:
            return max(0.0, float(headers[name]))
        except (KeyError, ValueError):
            continue
    return None


def passing(refused: Callable[..., E], answer: Answer, provider: str, *waits: str) -> E | None:
    """A refusal that will pass (a rate limit, the provider's own failure), to retry;
    None for one the caller sorts by the provider's rules. ``waits`` are the headers
    that may say how long a rate limit asks us to wait."""
    code = f"{provider.lower()}_{answer.status}"
    if answer.status == 429:
        after = wait_asked(answer.headers, *waits)
        return refused(f"{provider} is rate limiting the bot", retry=True, code=code, after=after)
    if answer.status >= 500:
        return refused(f"{provider} answered HTTP {answer.status}", retry=True, code=code)
    return None


def call(
    refused: Callable[..., Exception],
    http: httpx.Client,
    provider: str,
    method: str,
    path: str,
    *,
    waits: tuple[str, ...] = ("retry-after",),
    **kwargs: Any,
) -> Answer:
    """``exchange``, raising at once a refusal that will pass (a rate limit, a 5xx); the
    answer otherwise, for the caller to sort by the provider's rules."""
    answer = exchange(refused, http, provider, method, path, **kwargs)
    passes = passing(refused, answer, provider, *waits)
    if passes is not None:
        raise passes
    return answer
