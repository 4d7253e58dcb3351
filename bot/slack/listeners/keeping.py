"""Every request from Slack is stored before its listener acknowledges it, and dispatched
again after a crash (``bot.outbox.received`` keeps them).

The app's ``dispatch`` does it for every kind (slash commands, clicks, form submissions,
shortcuts, events), over HTTP and Socket Mode alike: it stores the request (a replay of
one seen by any replica is answered 200 and ignored), then lets Bolt run the listener.
(A Bolt middleware cannot: Bolt runs listeners after the middleware has returned.)
The first work the listener hands to the background pool runs as the stored request;
a listener that hands nothing on has answered all it was asked, and the request is done.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.outbox import received
from bot.store.models import utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)

SLACK_WINDOW = timedelta(minutes=5)  # a signed request is accepted this long either side
EVENT_RETRIES = timedelta(hours=1)  # Slack retries an event for about this long
NOT_STORED = "The bot could not store this request (its database did not answer); try again."

# What is kept: everything a person or Slack asks that may change something. Option
# lists (block_suggestion) and closed forms ask nothing to be done.
_KINDS = {
    "block_actions": "action",
    "view_submission": "view",
    "shortcut": "shortcut",
    "message_action": "shortcut",
    "event_callback": "event",
}


def kind_of(body: dict[str, Any]) -> str | None:
    if body.get("command"):
        return "command"
    return _KINDS.get(str(body.get("type") or ""))


def _first(headers: dict[str, Any], name: str) -> str:
    value = headers.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value or "")


def _keys(req: BoltRequest, body: dict[str, Any]) -> tuple[tuple[str, datetime], ...]:
    keys: list[tuple[str, datetime]] = []
    signature = _first(req.headers, "x-slack-signature")
    stamp = _first(req.headers, "x-slack-request-timestamp")
    if signature and stamp.isdigit():
        sent = datetime.fromtimestamp(int(stamp), UTC)
        keys.append((f"sig:{signature.removeprefix('v0=')}", sent + SLACK_WINDOW))
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        # Slack retries an event it thinks was not taken, newly signed: the ID is the same.
        keys.append((f"event:{event_id[:80]}", utcnow() + EVENT_RETRIES))
    return tuple(keys)


# Whether a request of a kind may need work after its acknowledgement; one that cannot
# (``/incident help``, a command refused for its syntax) is answered without being kept.
MayNeedWork = Callable[[str, dict[str, Any]], bool]


class KeepingApp(App):
    """Bolt's app, storing each request before its listener may acknowledge it."""

    def __init__(self, services: Services, may_need_work: MayNeedWork, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._services = services
        self._may_need_work = may_need_work

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        return keep_and_dispatch(self._services, req, super().dispatch, self._may_need_work)


def keep_and_dispatch(
    services: Services,
    req: BoltRequest,
    dispatch: Callable[[BoltRequest], BoltResponse],
    may_need_work: MayNeedWork = lambda kind, body: True,
) -> BoltResponse:
    body = req.body if isinstance(req.body, dict) else {}
    kind = kind_of(body)
    if kind is None or not may_need_work(kind, body):
        return dispatch(req)
    again = req.context.get("dispatched_again")
    if again is not None:
        request_id, arrived = again
    else:
        try:
            request_id = services.journal.record(
                received.Arrival(kind, _kept(body), _keys(req, body))
            )
        except received.Seen:
            log.warning("ignored a %s Slack sent before (a replay or a retry)", kind)
            return BoltResponse(status=200, body="")
        except (SQLAlchemyError, TimeoutError):
            log.exception("could not store a %s before acknowledging it", kind)
            return _not_stored(kind)
        arrived = utcnow()
    wrap = functools.partial(_as_request, services, request_id)
    receiving = received.Receiving(request_id, arrived, wrap, again=again is not None)
    try:
        with received.answering(receiving):
            return dispatch(req)
    finally:
        if receiving.finished_unanswered:
            services.journal.finish_soon(request_id)


def _as_request(
    services: Services, request_id: int, call: Callable[[], None]
) -> Callable[[], None]:
    return functools.partial(
        received.run_as,
        services.db,
        services.request_leases,
        request_id,
        services.outbox.holder,
        call,
    )


def _kept(body: dict[str, Any]) -> dict[str, Any]:
    """The body, minus what Slack repeats in every request and a replay does not need."""
    return {k: v for k, v in body.items() if k not in {"token", "authorizations"}}


def _not_stored(kind: str) -> BoltResponse:
    if kind == "command":  # a command's answer is shown to the person
        text = json.dumps({"response_type": "ephemeral", "text": NOT_STORED})
        return BoltResponse(status=200, body=text, headers={"content-type": "application/json"})
    # Slack shows the person that the click or form did not go through.
    return BoltResponse(status=503, body="")


def dispatch_again(services: Services, bolt: App) -> int:
    """Dispatch again the requests a process stored and died before finishing; returns
    how many."""
    left = received.unfinished(services.db)
    for request in left:
        log.info("dispatching %s %s again: its process stopped first", request.kind, request.id)
        again = BoltRequest(
            body=request.body,
            mode="socket_mode",  # already parsed and verified when it first arrived
            context={"dispatched_again": (request.id, request.received_at)},
        )
        try:
            bolt.dispatch(again)
        except Exception:
            log.exception("dispatching request %s again failed", request.id)
    return len(left)


def again(services: Services, bolt: App) -> Callable[[], int]:
    """What the scheduler's sweep calls to dispatch the stored requests a stopped process
    left to ``bolt`` again."""
    return functools.partial(dispatch_again, services, bolt)
