"""PagerDuty through its REST API v2, the way PagerDuty advises for incidents declared in
a collaboration tool (the Events API is for monitors).

Eight endpoints, with our own bounded retries (the outbox retries a refusal that will
pass; this client never sleeps): ``POST /incidents`` with an ``incident_key`` (one open
incident per key and service, so a repeat finds the first), ``GET /incidents`` to find
it, ``PUT /incidents/{id}`` to escalate or resolve, ``GET /services/{id}`` and
``GET /oncalls`` for who is on call. Every write carries the ``From`` header naming the
PagerDuty user the bot acts as.
"""

from __future__ import annotations

from typing import Any

from bot.net import provider_http as http
from bot.paging.provider import OnCall, Paged, PageRequest, PagerRefused

NAME = "PagerDuty"
ACCEPT = "application/vnd.pagerduty+json;version=2"
DEDUP_TAKEN = "matching dedup key already exists"
ALREADY_RESOLVED = "already resolved"
TITLE_MAX = 255
DETAILS_MAX = 10_000


class PagerDuty:
    name = NAME

    def __init__(self, base_url: str, token: str, sender: str, *, transport: Any = None) -> None:
        self._http = http.client(
            base_url,
            {"Authorization": f"Token token={token}", "Accept": ACCEPT},
            transport,
        )
        self._writes = {"From": sender, "Content-Type": "application/json"}

    def close(self) -> None:
        self._http.close()

    def page(self, request: PageRequest) -> Paged:
        body = {
            "incident": {
                "type": "incident",
                "title": request.title[:TITLE_MAX],
                "service": {"id": request.service, "type": "service_reference"},
                "urgency": "high" if request.urgent else "low",
                "incident_key": request.dedup_key,
                "body": {"type": "incident_body", "details": request.details[:DETAILS_MAX]},
            }
        }
        answer = http.exchange(
            PagerRefused, self._http, NAME, "POST", "/incidents", json=body, headers=self._writes
        )
        if answer.status in (200, 201):
            return _paged(answer.body.get("incident") or {})
        if answer.status == 400 and DEDUP_TAKEN in _said(answer.body).lower():
            found = self._open_with_key(request)  # made before: a retry, or a crash after it
            if found is not None:
                return found
        raise _refused(answer, f"page {request.service}")

    def _open_with_key(self, request: PageRequest) -> Paged | None:
        answer = http.exchange(
            PagerRefused,
            self._http,
            NAME,
            "GET",
            "/incidents",
            params={
                "incident_key": request.dedup_key,
                "service_ids[]": request.service,
                "statuses[]": ["triggered", "acknowledged"],
            },
        )
        if answer.status != 200:
            raise _refused(answer, "find the page already made")
        for incident in answer.body.get("incidents") or []:
            if isinstance(incident, dict) and incident.get("id"):
                found = _paged(incident)
                return Paged(found.external_id, found.url, found.assignees, existing=True)
        return None

    def on_call(self, service: str) -> list[OnCall]:
        answer = http.exchange(PagerRefused, self._http, NAME, "GET", f"/services/{service}")
        if answer.status != 200:
            raise _refused(answer, f"read the service {service}")
        policy = ((answer.body.get("service") or {}).get("escalation_policy") or {}).get("id")
        if not policy:
            return []
        answer = http.exchange(
            PagerRefused,
            self._http,
            NAME,
            "GET",
            "/oncalls",
            params={"escalation_policy_ids[]": policy, "include[]": "users", "limit": 100},
        )
        if answer.status != 200:
            raise _refused(answer, "read who is on call")
        found: dict[str, OnCall] = {}
        for entry in answer.body.get("oncalls") or []:
            # A permanent on-call has no start or end (null): they are on call now.
            user = entry.get("user") or {}
            key = str(user.get("id") or user.get("email") or "")
            if not key:
                continue
            level = int(entry.get("escalation_level") or 1)
            name = str(user.get("name") or user.get("summary") or user.get("email") or key)
            email = str(user["email"]) if user.get("email") else None
            if key not in found or level < found[key].level:
                found[key] = OnCall(name, email, level)
        return sorted(found.values(), key=lambda o: (o.level, o.name))

    def escalate(self, external_id: str, level: int) -> bool:
        answer = self._put(external_id, {"escalation_level": level})
        if answer.status == 200:
            return True
        if answer.status == 400 and "escalation" in _said(answer.body).lower():
            return False  # the policy has no such level
        raise _refused(answer, f"escalate the page to level {level}")

    def resolve(self, external_id: str, dedup_key: str) -> None:
        answer = self._put(external_id, {"status": "resolved"})
        if answer.status == 200 or ALREADY_RESOLVED in _said(answer.body).lower():
            return
        raise _refused(answer, "resolve the page")

    def _put(self, external_id: str, change: dict[str, Any]) -> http.Answer:
        body = {"incident": {"type": "incident_reference", **change}}
        return http.exchange(
            PagerRefused,
            self._http,
            NAME,
            "PUT",
            f"/incidents/{external_id}",
            json=body,
            headers=self._writes,
        )


def _paged(incident: dict[str, Any]) -> Paged:
    assignees = []
    for assignment in incident.get("assignments") or []:
        person = (assignment or {}).get("assignee") or {}
        if person.get("summary"):
            assignees.append(OnCall(str(person["summary"]), person.get("email")))
    return Paged(str(incident.get("id") or ""), incident.get("html_url"), tuple(assignees))


def _said(body: dict[str, Any]) -> str:
    """PagerDuty's words for a refusal: its message and the errors it lists."""
    error = body.get("error") or {}
    if not isinstance(error, dict):
        return str(error)
    errors = [str(e) for e in error.get("errors") or [] if e]
    message = str(error.get("message") or "")
    if errors and message in ("Invalid Input Provided", ""):
        return "; ".join(errors)
    return "; ".join([message, *errors]) if message else "; ".join(errors)


def _refused(answer: http.Answer, doing: str) -> PagerRefused:
    status = answer.status
    if (
        passes := http.passing(PagerRefused, answer, NAME, "ratelimit-reset", "retry-after")
    ) is not None:
        return passes
    said = _said(answer.body) or f"HTTP {status}"
    if status == 401:
        said = "it refused the bot's API token (INCIDENTBOT_PAGERDUTY_TOKEN)"
    elif status == 403:
        said = f"the bot's API token may not {doing} ({said})"
    elif status == 404:
        said = f"it knows no such thing ({said}); check the service ID"
    else:
        said = said[0].lower() + said[1:] if said else said
    return PagerRefused(f"{NAME} says {said}", retry=False, code=f"pagerduty_{status}")
