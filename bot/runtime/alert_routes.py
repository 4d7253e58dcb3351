"""``POST /alerts/{source}``: authenticate, bound, decode, check, store, then process.

Refusals change nothing: a missing or wrong token is 401, an unknown source
404, a body over 1 MB 413, undecodable JSON 400, a document not of the
source's shape 422, each with a JSON error naming the problem. An accepted
delivery is committed before the 202 (a 503 says it could not be, so the
sender retries); the intake applies it right after.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.alerts.accepted_sources import PARSERS
from bot.alerts.normalized import AlertBatch, PayloadError
from bot.net import bounded_body, bounded_json
from bot.runtime import metrics

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024

Submit = Callable[[str, str, AlertBatch], int]


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="alerts"'} if status == 401 else None
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def authorised(header: str | None, token: str) -> bool:
    scheme, _, credentials = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credentials.strip().encode(), token.encode())


def make_endpoint(
    token: str | None, submit: Submit, body_seconds: float = bounded_body.DEADLINE
) -> Callable[[Request], Any]:
    async def receive(request: Request) -> Response:
        source = request.path_params["source"]
        response = await _receive(request, source, token, submit, body_seconds)
        route = f"/alerts/{source}" if source in PARSERS else "/alerts/*"
        metrics.count_request(route, response.status_code)
        return response

    return receive


async def _receive(
    request: Request, source: str, token: str | None, submit: Submit, body_seconds: float
) -> Response:
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
    try:
        raw = await bounded_body.read_body(request, MAX_BODY, verified=True, deadline=body_seconds)
    except bounded_body.BodyRefused as refused:
        if refused.status == 413:
            return _error(413, f"{refused.message[:-1]}; send fewer alerts at once.")
        return bounded_body.answer(refused)
    try:
        document = bounded_json.loads(raw)
    except bounded_json.Unbounded as problem:
        said = str(problem)
        return _error(400, f"{said[:1].upper()}{said[1:]}.")
    text = raw.decode("utf-8")
    try:
        batch = PARSERS[source](document)
    except PayloadError as problem:
        return JSONResponse(problem.as_json(), status_code=problem.status)
    try:
        delivery_id = await run_in_threadpool(submit, source, text, batch)
    except Exception:
        log.exception("a %s delivery could not be stored", source)
        return _error(503, "The bot could not store this delivery; send it again.")
    metrics.count_alerts(source, len(batch.alerts))
    return JSONResponse(
        {"accepted": True, "delivery": delivery_id, "alerts": len(batch.alerts)},
        status_code=202,
    )
