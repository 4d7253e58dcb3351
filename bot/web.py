"""The ASGI app: Bolt at /slack/events, health and metrics, and the scheduler's lifetime."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.alerts.receiver import make_endpoint
from bot.scheduler import Scheduler
from bot.slack.services import Services

log = logging.getLogger(__name__)

MAX_SLACK_BODY = 1024 * 1024


def create_app(
    services: Services, bolt: App | None, scheduler: Scheduler | None = None
) -> Starlette:
    async def slack_events(request: Request) -> Response:
        if bolt is None:
            return JSONResponse({"error": "this bot runs in Socket Mode"}, status_code=404)
        body = await request.body()
        if len(body) > MAX_SLACK_BODY:
            return JSONResponse({"error": "request body too large"}, status_code=413)
        # Listeners are synchronous (they may parse and render); keep them off the loop.
        bolt_response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        metrics.count_request("/slack/events", bolt_response.status)
        return to_starlette_response(bolt_response)

    async def healthz(_: Request) -> Response:
        ok = await run_in_threadpool(services.db.ping)
        status = 200 if ok else 503
        metrics.count_request("/healthz", status)
        return JSONResponse({"ok": ok, "database": "up" if ok else "down"}, status_code=status)

    async def metrics_endpoint(_: Request) -> Response:
        text = await run_in_threadpool(metrics.render, services.db)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    receive_alert = make_endpoint(
        services.settings.alert_token,
        services.alerts.submit,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        services.alerts.start()
        if scheduler:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler:
                scheduler.shutdown()
            # Apply the alerts already acknowledged, then finish their Slack work.
            await run_in_threadpool(services.alerts.stop)
            # Finish what was acknowledged before going away.
            await run_in_threadpool(services.background.shutdown)

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/alerts/{source}", receive_alert, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
