"""``POST /pagerduty/webhook``: PagerDuty's Webhooks v3 deliveries.

The signature is checked over the raw body before anything is parsed: unsigned, or
signed with no secret we hold, is 401 and changes nothing. A delivery is stored under
its ``X-Webhook-Id`` before the answer (PagerDuty waits 5 s at most and delivers at
least once): a redelivery is recognised and answered 200 without being applied again.
It is applied after the answer, and by the scheduler's sweep if the process stops first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.app.paging import webhooks
from bot.app.services import Services
from bot.net import bounded_body
from bot.paging import webhook
from bot.runtime import metrics

log = logging.getLogger(__name__)

MAX_BODY = 512 * 1024  # PagerDuty's deliveries are a few kilobytes
ROUTE = "/pagerduty/webhook"


def make_endpoint(services: Services) -> Callable[[Request], Any]:
    async def receive(request: Request) -> Response:
        response = await _receive(request, services)
        metrics.count_request(ROUTE, response.status_code)
        return response

    return receive


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _receive(request: Request, services: Services) -> Response:
    secrets = services.settings.paging.webhook_secrets
    if not secrets:
        return _error(
            404,
            "PagerDuty webhooks are not set up here: set INCIDENTBOT_PAGERDUTY_WEBHOOK_SECRET "
            "to the subscription's signing secret.",
        )
    signature = request.headers.get("x-pagerduty-signature")
    if not signature:
        return _error(401, "The delivery has no X-PagerDuty-Signature header.")
    if not webhook.well_formed(signature):
        return _error(401, "The X-PagerDuty-Signature header is not of the form v1=<hex>.")
    try:
        body = await bounded_body.read_body(
            request, MAX_BODY, verified=False, deadline=services.settings.body_seconds
        )
    except bounded_body.BodyRefused as refused:
        return bounded_body.answer(refused)
    if not webhook.signed(secrets, body, signature):
        return _error(401, "The X-PagerDuty-Signature matches none of the bot's secrets.")
    webhook_id = (request.headers.get("x-webhook-id") or "").strip()
    if not webhook_id or len(webhook_id) > 100:
        return _error(400, "The delivery has no X-Webhook-Id header (or one over 100 characters).")
    try:
        fresh = await run_in_threadpool(webhooks.store_delivery, services, webhook_id, body)
    except Exception:
        log.exception("could not store PagerDuty delivery %s", webhook_id)
        return _error(503, "The delivery could not be stored; deliver it again.")
    if fresh:
        services.background.submit(webhooks.apply_deliveries, services)
    return JSONResponse({"ok": True, "duplicate": not fresh}, status_code=202 if fresh else 200)
