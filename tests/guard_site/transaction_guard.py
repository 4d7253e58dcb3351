"""A test-side guard: no Slack or HTTP call while the calling thread holds a database
transaction (it would hold row or write locks for as long as Slack takes to answer).

SQLAlchemy's engine events count each thread's open transactions; the Slack client's,
the response_url webhook's and httpx's senders are wrapped to refuse a call while the
count is above zero. In-process tests (``tests/app``, ``tests/slack``) run under it
through a fixture; the bot processes the end-to-end tests start load it through
``sitecustomize`` beside this file, and a test fails when its bot's log shows a refused
call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from slack_sdk.web.base_client import BaseClient
from slack_sdk.webhook.client import WebhookClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

_open = threading.local()


def _depth() -> int:
    return int(getattr(_open, "depth", 0))


def _begin(_conn: Any) -> None:
    _open.depth = _depth() + 1


def _end(_conn: Any) -> None:
    _open.depth = max(0, _depth() - 1)


class CallInsideTransaction(AssertionError):
    pass


def _guarded(original: Callable[..., Any], what: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        if _depth():
            raise CallInsideTransaction(f"{what} while this thread holds a database transaction")
        return original(*args, **kwargs)

    return call


_SENDERS = (
    (BaseClient, "_perform_urllib_http_request", "a Slack Web API call"),
    (WebhookClient, "_perform_http_request", "a response_url reply"),
    (httpx.Client, "send", "an HTTP request"),
)


def install() -> Callable[[], None]:
    """Guard every sender; returns what takes the guard away again."""
    event.listen(Engine, "begin", _begin)
    event.listen(Engine, "commit", _end)
    event.listen(Engine, "rollback", _end)
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in _SENDERS]
    for owner, name, what in _SENDERS:
        setattr(owner, name, _guarded(getattr(owner, name), what))

    def remove() -> None:
        for owner, name, original in originals:
            setattr(owner, name, original)
        event.remove(Engine, "begin", _begin)
        event.remove(Engine, "commit", _end)
        event.remove(Engine, "rollback", _end)
        _open.depth = 0

    return remove


@contextmanager
def no_calls_inside_transactions() -> Iterator[None]:
    remove = install()
    try:
        yield
    finally:
        remove()
