"""Reading a request body within bounds: no further than a size, no longer than a
deadline, and only so many bodies at once from senders not yet known.

What is held is what was allowed, whatever the sender declared or sent, and for no
longer than the deadline: a body that trickles in (a slow client, or one that declared
more than it sends) is answered 408 and its connection closed. Routes that can check a
credential before the body (a bearer token) read it freely; routes whose signature
covers the body (Slack, PagerDuty, Jira, GitHub) read it as *unverified*, and no more
than ``MAX_UNVERIFIED`` such bodies are read at once: past that the sender is asked to
come back (503 with ``Retry-After``) instead of the process holding hundreds of
half-sent bodies.
"""

from __future__ import annotations

import asyncio

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from bot.text import sizes

DEADLINE = 10.0  # seconds for the whole body, once the route starts reading it
MAX_UNVERIFIED = 64  # bodies read at once before their signature can be checked

_unverified = 0  # bodies being read now whose sender is not yet known (one event loop)


class BodyRefused(Exception):
    """The body was not read; ``status`` and ``message`` are the answer to give."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        # What is left of an unread body would be read as the next request: the
        # connection ends with the answer.
        if self.status == 503:
            return {"connection": "close", "retry-after": "5"}
        return {"connection": "close"}


async def read_body(
    request: Request, limit: int, *, verified: bool, deadline: float = DEADLINE
) -> bytes:
    """The whole body, or BodyRefused: 413 past ``limit`` bytes (declared or sent), 408
    when it is not complete within ``deadline`` seconds, 503 when ``verified`` is False
    and as many unverified bodies as allowed are being read already."""
    global _unverified
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyRefused(413, f"The body is over {sizes.size(limit)}.")
    if not verified:
        if _unverified >= MAX_UNVERIFIED:
            raise BodyRefused(503, "The bot is reading as many requests as it takes at once.")
        _unverified += 1
    try:
        async with asyncio.timeout(deadline):
            return await _read(request, limit)
    except TimeoutError:
        raise BodyRefused(
            408, f"The body did not arrive within {deadline:g} seconds; send it again."
        ) from None
    except ClientDisconnect:
        raise BodyRefused(400, "The connection closed before the body was complete.") from None
    finally:
        if not verified:
            _unverified -= 1


async def _read(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyRefused(413, f"The body is over {sizes.size(limit)}.")
        chunks.append(chunk)
    return b"".join(chunks)


def reading_unverified() -> int:
    """How many unverified bodies are being read now (for the metrics and tests)."""
    return _unverified


def answer(refused: BodyRefused) -> JSONResponse:
    """The JSON answer to a body that was not read."""
    return JSONResponse(
        {"error": refused.message}, status_code=refused.status, headers=refused.headers
    )
