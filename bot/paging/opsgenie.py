"""The Opsgenie-shaped alert API: Opsgenie itself until its end of support (5 April 2027),
and Jira Service Management Ops after it, at a base URL of the operator's choosing.

A page is an alert: ``POST /v2/alerts`` with the dedup key as its ``alias`` (an open
alert with the same alias is deduplicated, not raised again) and the service's team as
responder; the answer is 202 and a ``requestId``, polled until the alert exists. It is
closed by alias. Who is on call is the team's schedule. The API has no escalation
levels of ours: the bot's own ladder escalates instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from bot.net import provider_http as http
from bot.paging.provider import OnCall, Paged, PageRequest, PagerRefused

NAME = "Opsgenie"
MESSAGE_MAX = 130
ALIAS_MAX = 512
DESCRIPTION_MAX = 15_000
POLLS = 10  # how often a request's outcome is asked for before taking it as accepted
POLL_PAUSE = 0.2  # seconds between those asks


class Opsgenie:
    name = NAME

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        transport: Any = None,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http.client(base_url, {"Authorization": f"GenieKey {key}"}, transport)
        self._pause = pause

    def close(self) -> None:
        self._http.close()

    def page(self, request: PageRequest) -> Paged:
        body = {
            "message": request.title[:MESSAGE_MAX],
            "alias": request.dedup_key[:ALIAS_MAX],
            "description": request.details[:DESCRIPTION_MAX],
            "responders": [{"name": request.service, "type": "team"}],
            "priority": "P1" if request.urgent else "P3",
            "source": "incidentbot",
            "details": {"channel": request.link or ""},
        }
        answer = http.exchange(PagerRefused, self._http, NAME, "POST", "/v2/alerts", json=body)
        if answer.status != 202:
            raise _refused(answer, f"page {request.service}")
        alert_id = self._outcome(str(answer.body.get("requestId") or ""))
        return Paged(alert_id or request.dedup_key, None)

    def _outcome(self, request_id: str) -> str | None:
        """The alert's ID once the request is processed; a failed request is refused."""
        if not request_id:
            return None
        for attempt in range(POLLS):
            answer = http.exchange(
                PagerRefused, self._http, NAME, "GET", f"/v2/alerts/requests/{request_id}"
            )
            if answer.status == 200:
                data = answer.body.get("data") or {}
                if data.get("isSuccess") is False or data.get("success") is False:
                    raise PagerRefused(
                        f"{NAME} says {data.get('status') or 'the alert was not made'!s}",
                        retry=False,
                        code="opsgenie_request_failed",
                    )
                return str(data.get("alertId") or "") or None
            if answer.status != 404:  # 404: not processed yet
                raise _refused(answer, "read the page's outcome")
            if attempt + 1 < POLLS:
                self._pause(POLL_PAUSE)
        return None  # accepted and not processed yet: the alias still finds it

    def on_call(self, service: str) -> list[OnCall]:
        schedule = quote(f"{service}_schedule", safe="")
        answer = http.exchange(
            PagerRefused,
            self._http,
            NAME,
            "GET",
            f"/v2/schedules/{schedule}/on-calls",
            params={"scheduleIdentifierType": "name", "flat": "true"},
        )
        if answer.status != 200:
            raise _refused(answer, f"read who is on call for {service}")
        emails = (answer.body.get("data") or {}).get("onCallRecipients") or []
        return [OnCall(str(email), str(email)) for email in emails if email]

    def escalate(self, external_id: str, level: int) -> bool:
        return False  # no levels here; the bot's own ladder does it

    def resolve(self, external_id: str, dedup_key: str) -> None:
        alias = quote(dedup_key[:ALIAS_MAX], safe="")
        answer = http.exchange(
            PagerRefused,
            self._http,
            NAME,
            "POST",
            f"/v2/alerts/{alias}/close",
            params={"identifierType": "alias"},
            json={"source": "incidentbot", "note": "Resolved in Slack"},
        )
        if answer.status in (200, 202):
            return
        raise _refused(answer, "close the page")


def _refused(answer: http.Answer, doing: str) -> PagerRefused:
    status = answer.status
    if (
        passes := http.passing(PagerRefused, answer, NAME, "retry-after", "x-ratelimit-reset")
    ) is not None:
        return passes
    said = str(answer.body.get("message") or f"HTTP {status}")
    if status in (401, 403):
        said = f"it refused the bot's API key (INCIDENTBOT_OPSGENIE_KEY) to {doing}: {said}"
    return PagerRefused(f"{NAME} says {said}", retry=False, code=f"opsgenie_{status}")
