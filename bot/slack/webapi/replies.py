"""Answers to the person who asked, through Slack's ``response_url``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

log = logging.getLogger(__name__)

Reply = Callable[..., Any]


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
