"""``POST /jira/webhook`` and ``POST /github/webhook``: what the tracker says when a
ticket changes.

The signature is checked over the raw body before anything is parsed: unsigned, or
signed with another secret, is 401 and changes nothing. A ticket closed (GitHub) or
moved into a done status (Jira) marks its action item done in the same transaction
that answers: the change is stored before the tracker hears 200. A ticket that is not
one of ours is answered 200 and ignored, so the tracker does not retry it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.app import ticket_changes
from bot.app.services import Services
from bot.net import bounded_body
from bot.runtime import metrics
from bot.tracking import webhooks

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # a Jira issue with its changelog can be a few hundred KiB
JIRA_ROUTE = "/jira/webhook"
GITHUB_ROUTE = "/github/webhook"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def make_endpoints(services: Services) -> list[tuple[str, Callable[[Request], Any]]]:
    async def jira(request: Request) -> Response:
        response = await _jira(request, services)
        metrics.count_request(JIRA_ROUTE, response.status_code)
        return response

    async def github(request: Request) -> Response:
        response = await _github(request, services)
        metrics.count_request(GITHUB_ROUTE, response.status_code)
        return response

    return [(JIRA_ROUTE, jira), (GITHUB_ROUTE, github)]


async def _signed_body(
    request: Request,
    secret: str | None,
    header: str,
    setting: str,
    tracker: str,
    configured: str | None,
    deadline: float,
) -> bytes | Response:
    if configured and configured != tracker.lower():
        return _error(
            404,
            f"This bot files tickets in {'Jira' if configured == 'jira' else 'GitHub'}, not "
            f"{tracker}: deliver {tracker}'s webhooks to a bot that uses it.",
        )
    if not secret:
        return _error(
            404, f"{tracker} webhooks are not set up here: set {setting} to the webhook's secret."
        )
    signature = request.headers.get(header)
    if not signature:
        return _error(401, f"The delivery has no {header} header.")
    if not webhooks.well_formed(signature):
        return _error(401, f"The {header} header is not of the form sha256=<hex>.")
    try:
        body = await bounded_body.read_body(request, MAX_BODY, verified=False, deadline=deadline)
    except bounded_body.BodyRefused as refused:
        return bounded_body.answer(refused)
    if not webhooks.signed(secret, body, signature):
        return _error(401, f"The {header} does not match the bot's secret.")
    return body


async def _jira(request: Request, services: Services) -> Response:
    jira = services.settings.tracking.jira
    body = await _signed_body(
        request,
        jira.webhook_secret if jira else None,
        "X-Hub-Signature",
        "INCIDENTBOT_JIRA_WEBHOOK_SECRET",
        "Jira",
        services.settings.tracking.tracker,
        services.settings.body_seconds,
    )
    if isinstance(body, Response):
        return body
    try:
        change = webhooks.read_jira(body)
    except webhooks.Unreadable as bad:
        return _error(400, f"The delivery cannot be read: {bad}.")
    return await _apply(services, change, request.headers.get("x-atlassian-webhook-identifier"))


async def _github(request: Request, services: Services) -> Response:
    github = services.settings.tracking.github
    body = await _signed_body(
        request,
        github.webhook_secret if github else None,
        "X-Hub-Signature-256",
        "INCIDENTBOT_GITHUB_WEBHOOK_SECRET",
        "GitHub",
        services.settings.tracking.tracker,
        services.settings.body_seconds,
    )
    if isinstance(body, Response):
        return body
    try:
        change = webhooks.read_github(
            request.headers.get("x-github-event"), body, github.repo if github else None
        )
    except webhooks.Unreadable as bad:
        return _error(400, f"The delivery cannot be read: {bad}.")
    return await _apply(services, change, request.headers.get("x-github-delivery"))


async def _apply(
    services: Services, change: webhooks.TicketChange | None, delivery: str | None
) -> Response:
    """Apply the change, known by its delivery's ID (a retry has the same) and by what its
    signed body names (a captured delivery re-sent under a new ID has the same)."""
    if change is None:
        return JSONResponse({"ok": True, "outcome": "not an event the bot acts on"})
    seen_as = [key for key in (change.seen_as,) if key]
    if delivery and delivery.isascii() and len(delivery) <= 64:
        seen_as.append(f"{change.provider}-delivery:{delivery.strip()}")
    try:
        outcome = await run_in_threadpool(
            ticket_changes.apply_change, services, change.provider, change.ref, change.done, seen_as
        )
    except Exception:
        log.exception("could not apply a %s ticket change", change.provider)
        return _error(503, "The change could not be stored; deliver it again.")
    return JSONResponse({"ok": True, "outcome": outcome})
