"""``POST /alerts/{source}``: authenticate, bound, decode, check, store, then process.

Refusals change nothing: a missing or wrong token is 401, an unknown source
404, a body over 1 MB 413, undecodable JSON 400, a document not of the
source's shape 422, each with a JSON error naming the problem. An accepted
delivery is committed before the 2xx; if processing it then fails, the answer
is still 202 (the delivery is safe) and the sweep processes it later.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import metrics
from bot.alerts import ingest
from bot.alerts.ingest import Outcome
from bot.alerts.normalized import AlertBatch, PayloadError
from bot.alerts.sources import PARSERS
from bot.db import Database

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024

Process = Callable[[int, AlertBatch], Outcome]
Follow = Callable[[Outcome], None]


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="alerts"'} if status == 401 else None
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def authorised(header: str | None, token: str) -> bool:
    scheme, _, credentials = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credentials.strip().encode(), token.encode())


async def _read_bounded(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def make_endpoint(
    token: str | None, db: Database, process: Process, follow: Follow
) -> Callable[[Request], Any]:
    async def receive(request: Request) -> Response:
        source = request.path_params["source"]
        response = await _receive(request, source)
        metrics.count_request(
            f"/alerts/{source}" if source in PARSERS else "/alerts/*", response.status_code
        )
        return response

    async def _receive(request: Request, source: str) -> Response:
        if source not in PARSERS:
            return _error(
                404, f"No alert source called {source[:40]!r}; use one of: {', '.join(PARSERS)}."
            )
        if not token:
            return _error(
                401,
                "Alerts are switched off: set INCIDENTBOT_ALERT_TOKEN on the bot to accept them.",
            )
        if not authorised(request.headers.get("authorization"), token):
            return _error(
                401,
                "Send the bot's alert token as 'Authorization: Bearer <INCIDENTBOT_ALERT_TOKEN>'.",
            )
        raw = await _read_bounded(request)
        if raw is None:
            return _error(
                413, f"The body is over {MAX_BODY // 1024} KB; send fewer alerts at once."
            )
        try:
            text = raw.decode("utf-8")
            document = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _error(400, f"The body is not JSON: {exc}")
        try:
            batch = PARSERS[source](document)
        except PayloadError as problem:
            return JSONResponse(problem.as_json(), status_code=problem.status)
        delivery_id = await run_in_threadpool(ingest.store, db, source, text)
        metrics.count_alerts(source, len(batch.alerts))
        try:
            outcome = await run_in_threadpool(process, delivery_id, batch)
        except Exception as exc:
            log.exception("alert delivery %s is stored but could not be processed yet", delivery_id)
            await run_in_threadpool(
                ingest.note_failure, db, delivery_id, f"{type(exc).__name__}: {exc}"
            )
            return JSONResponse(
                {"accepted": True, "delivery": delivery_id, "result": "queued"}, status_code=202
            )
        follow(outcome)
        return JSONResponse(
            {
                "accepted": True,
                "delivery": delivery_id,
                "alerts": len(batch.alerts),
                "result": outcome.result,
                "incident": f"INC-{outcome.incident_id}" if outcome.incident_id else None,
            },
            status_code=202,
        )

    return receive
