"""The Slack Web API client, with retries for rate limits, server errors and lost connections."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import (
    BackoffRetryIntervalCalculator,
)

from bot.config import Settings


def make_client(settings: Settings, *, max_retries: int = 4) -> WebClient:
    """A WebClient aimed at ``SLACK_API_URL`` that retries what is worth retrying.

    429 answers are retried after their Retry-After; 5xx answers and dropped
    connections with exponential backoff. What still fails after that raises,
    and the caller records the step as unfinished so it is tried again later.
    """
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=backoff),
            RateLimitErrorRetryHandler(max_retry_count=max_retries * 2),
            ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=backoff),
        ],
    )
