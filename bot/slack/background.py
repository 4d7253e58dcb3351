"""Work that runs after Slack has its acknowledgement.

Listeners acknowledge inside Slack's 3 seconds and hand everything else (the
database, Slack calls) to this pool. It is bounded, so a burst of commands
queues here instead of crowding out the acknowledgements of the next ones, and
it drains on shutdown, so work already acknowledged is finished, not dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

log = logging.getLogger(__name__)

Reply = Callable[..., Any]


class Background:
    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="work")
        # Opening a modal must happen within 3 s of the click (trigger_id expiry), so it
        # never waits behind slow work in the main pool.
        self._urgent = ThreadPoolExecutor(max_workers=2, thread_name_prefix="urgent")

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self._track(self._pool.submit(fn, *args))

    def submit_urgent(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """For calls bound to a trigger_id (views.open), which expires in 3 seconds."""
        return self._track(self._urgent.submit(fn, *args))

    @staticmethod
    def _track(future: Future[Any]) -> Future[Any]:
        future.add_done_callback(_log_failure)
        return future

    def shutdown(self) -> None:
        self._urgent.shutdown(wait=True)
        self._pool.shutdown(wait=True)


def _log_failure(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        log.error("background work failed", exc_info=error)


def reply_to(response_url: str | None) -> Reply:
    """Answer the person through Slack's response_url, privately (ephemeral), with retries."""
    if not response_url:
        return lambda **_: None
    webhook = WebhookClient(
        response_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=3),
        ],
    )

    def reply(**message: Any) -> None:
        message.setdefault("response_type", "ephemeral")
        message.setdefault("replace_original", False)
        response = webhook.send_dict(message)
        if response.status_code >= 400:
            log.warning("response_url answered %s: %s", response.status_code, response.body)

    return reply
