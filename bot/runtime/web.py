"""The ASGI app: Bolt at /slack/events, health and metrics, and the scheduler's lifetime."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence

from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from bot.app.services import Services
from bot.net import bounded_body
from bot.runtime import metrics, pagerduty_webhook, tracker_webhooks
from bot.runtime.alert_routes import authorised, make_endpoint
from bot.runtime.scheduler import Scheduler
from bot.runtime.slack_bodies import Malformed, check_shape
from bot.slack.listeners.signing import Refused, Verifier
from bot.statuspage.pages import StatusPages
from bot.store import precedence
from bot.web.sites import with_headers

log = logging.getLogger(__name__)

MAX_SLACK_BODY = 1024 * 1024


def create_app(
    services: Services,
    bolt: App | None,
    scheduler: Scheduler | None = None,
    *,
    pages: Sequence[BaseRoute] = (),
    ready: Callable[[], None] | None = None,
    stopped: Callable[[], None] | None = None,
) -> ASGIApp:
    """The bot's routes, and ``pages`` (the sandbox's, the console's) beside them; every
    page answer carries the security headers. ``ready`` is called once the app is up,
    ``stopped`` once it has finished its work on the way down (uvicorn re-raises the
    signal that stopped it, so code after ``uvicorn.run`` may never run)."""
    verifier = Verifier(services.settings.slack_signing_secret or "")

    async def slack_events(request: Request) -> Response:
        with precedence.answering():
            response = await _slack_events(request)
        metrics.count_request("/slack/events", response.status_code)
        return response

    async def _slack_events(request: Request) -> Response:
        if bolt is None:
            return JSONResponse({"error": "this bot runs in Socket Mode"}, status_code=404)
        try:
            # Headers first: a request that is not signed is refused before its body is read.
            moment, signature = verifier.check_headers(request.headers)
            body = await bounded_body.read_body(
                request, MAX_SLACK_BODY, verified=False, deadline=services.settings.body_seconds
            )
            verifier.verify(moment, signature, body)
        except Refused as refused:
            return JSONResponse({"error": str(refused)}, status_code=401)
        except bounded_body.BodyRefused as refused:
            return bounded_body.answer(refused)
        try:
            shape = check_shape(body, request.headers.get("content-type", ""))
        except Malformed as malformed:
            log.warning("refused a signed Slack request with a malformed body: %s", malformed)
            return JSONResponse({"error": str(malformed)}, status_code=400)
        if shape == "app_rate_limited":
            # Slack says it is holding back events for a minute; nothing to do but note it.
            log.warning("Slack is rate-limiting the events it sends this app (app_rate_limited)")
            return Response(status_code=200)
        # Listeners are synchronous (they may parse and render); keep them off the loop.
        bolt_response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def healthz(_: Request) -> Response:
        ok = await run_in_threadpool(services.db.ping)
        status = 200 if ok else 503
        metrics.count_request("/healthz", status)
        return JSONResponse({"ok": ok, "database": "up" if ok else "down"}, status_code=status)

    async def metrics_endpoint(request: Request) -> Response:
        token = services.settings.metrics_token
        if token and not authorised(request.headers.get("authorization"), token):
            return JSONResponse(
                {"error": "send 'Authorization: Bearer <INCIDENTBOT_METRICS_TOKEN>'"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        text = await run_in_threadpool(metrics.render, services.db)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    receive_alert = make_endpoint(
        services.settings.alert_token,
        services.alerts.submit,
        services.settings.body_seconds,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        services.alerts.start()
        if scheduler:
            scheduler.start()
        if ready:
            ready()
        try:
            yield
        finally:
            if scheduler:
                scheduler.shutdown()
            # Apply the alerts already acknowledged, then finish their Slack work.
            await run_in_threadpool(services.alerts.stop)
            # Finish what was acknowledged before going away.
            await run_in_threadpool(services.background.shutdown)
            if stopped:
                await run_in_threadpool(stopped)

    app = Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/alerts/{source}", receive_alert, methods=["POST"]),
            Route(
                pagerduty_webhook.ROUTE, pagerduty_webhook.make_endpoint(services), methods=["POST"]
            ),
            *(
                Route(path, endpoint, methods=["POST"])
                for path, endpoint in tracker_webhooks.make_endpoints(services)
            ),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            *status_routes(services),
            *pages,
        ],
        lifespan=lifespan,
    )
    return with_headers(app, lambda path: not path.startswith(BOT_PATHS))


def status_routes(services: Services) -> list[BaseRoute]:
    """The public status page's routes; none at all while INCIDENTBOT_STATUS_PAGE is unset."""
    settings = services.settings.status_page
    if settings is None:
        return []
    pages = StatusPages(services.db, settings.page, page_id=settings.statuspage_page_id)
    return pages.routes()


# What machines call: Slack, alert sources, PagerDuty, health checks and scrapers.
BOT_PATHS = ("/slack/", "/alerts/", "/pagerduty", "/healthz", "/metrics")
