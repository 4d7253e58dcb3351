"""Atlassian Statuspage's REST API (v1) as the bot uses it: create an incident, update it,
list the unresolved ones, search them all.

Enforced, as Statuspage documents it: ``Authorization: OAuth <key>`` (401 ``{"error":
"Couldn't authenticate you"}``), a page that exists (404), a body of ``{"incident":
{...}}`` with a name (1 to 255 characters), a status among investigating, identified,
monitoring, resolved (scheduled ones are maintenances, another API), an
``impact_override`` among none, minor, major, critical, components that belong to the page
with a status among operational, under_maintenance, degraded_performance,
partial_outage, major_outage (422 ``{"error": [...]}`` otherwise), and the rate limit:
each key may make ``limit`` requests in a rolling 60 seconds (Statuspage: 1 a second
over 60 s), answered 429 with ``Retry-After`` past it. The list of all incidents
(``GET .../incidents``) takes ``q`` (text searched, case aside, in each incident's name,
status, postmortem body and updates), ``limit`` (rows a page, 100 by default and at most)
and ``page`` (from 1), newest first; an out-of-range number is refused 400 here, stricter
than Statuspage. Each incident is shown with its ``incident_updates``, newest first, each
with its ``id``, ``status``, ``body``, ``affected_components`` and
``deliver_notifications``; an update made with ``deliver_notifications`` (true unless
said otherwise) notifies the page's subscribers, counted in ``notified``.
``lose_next_answer`` does the work and answers 504, as a proxy does when the answer is
lost on its way back. Time is the stand-in's own clock, moved by the test
(``advance``), never the wall clock."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.pager_standins.base import JsonStandIn, Refusal, Reply, Request

KEY = "statuspage-api-key"
PAGE_ID = "kctbh9vrtdwd"
COMPONENTS = {"c7x0card01", "c7x0recs02", "c7x0chat03"}  # templates/statuspage.toml's ids
STATUSES = ("investigating", "identified", "monitoring", "resolved")
IMPACTS = ("none", "minor", "major", "critical")
COMPONENT_STATUSES = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)


@dataclass
class SpIncident:
    id: str
    name: str
    status: str
    impact: str
    components: dict[str, str]
    metadata: dict[str, Any] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    postmortem_body: str = ""


class StatuspageStandIn(JsonStandIn):
    def __init__(self, limit: int = 60) -> None:
        super().__init__()
        self.limit = limit
        self.now = 0.0  # seconds on the stand-in's clock
        self._recent: deque[float] = deque()
        self.incidents: dict[str, SpIncident] = {}
        self._ids = (f"sp{n:010d}" for n in itertools.count(1))
        self.lost = 0  # answers lost after the work was done (a 504 from a proxy)
        self.notified: list[tuple[str, str, str]] = []  # incident id, status, words told

    def lose_next_answer(self) -> None:
        with self.lock:
            self.lost += 1

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        handler = super()._handler_class()
        handler.do_PATCH = handler.do_POST  # type: ignore[attr-defined]
        return handler

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"OAuth {KEY}":
            raise Refusal(401, {"error": "Couldn't authenticate you"})
        while self._recent and self._recent[0] <= self.now - 60:
            self._recent.popleft()
        if len(self._recent) >= self.limit:
            raise Refusal(429, {"error": "Rate limit exceeded"}, {"Retry-After": "1"})
        self._recent.append(self.now)
        parts = request.path.strip("/").split("/")
        if parts[:2] != ["v1", "pages"] or len(parts) < 4 or parts[3] != "incidents":
            raise Refusal(404, {"error": "Not found"})
        if parts[2] != PAGE_ID:
            raise Refusal(404, {"error": "Could not find page"})
        if request.method == "GET" and parts[4:] == ["unresolved"]:
            return Reply(
                200, [self._shown(i) for i in self.incidents.values() if i.status != "resolved"]
            )
        if request.method == "GET" and len(parts) == 4:
            return self._search(request.query)
        if request.method == "POST" and len(parts) == 4:
            return self._lost(self._create(request.body))
        if request.method == "PATCH" and len(parts) == 5:
            found = self.incidents.get(parts[4])
            if found is None:
                raise Refusal(404, {"error": "Could not find incident"})
            return self._lost(self._update(found, request.body))
        raise Refusal(405, {"error": "Method not allowed"})

    def _search(self, query: dict[str, list[str]]) -> Reply:
        limit = _number(query, "limit", 100, 1, 100)
        page = _number(query, "page", 1, 1, None)
        q = (query.get("q") or [""])[-1].casefold()
        newest = sorted(self.incidents.values(), key=lambda i: i.id, reverse=True)
        hits = [
            i
            for i in newest
            if not q
            or any(
                q in text.casefold()
                for text in (i.name, i.status, i.postmortem_body, *(u["body"] for u in i.updates))
            )
        ]
        return Reply(200, [self._shown(i) for i in hits[(page - 1) * limit : page * limit]])

    def _lost(self, reply: Reply) -> Reply:
        if self.lost:
            self.lost -= 1
            raise Refusal(504, {"error": "Gateway Timeout"})
        return reply

    def _fields(self, body: Any, *, creating: bool) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("incident"), dict):
            raise Refusal(400, {"error": "param is missing or the value is empty: incident"})
        given = body["incident"]
        errors = []
        name = given.get("name")
        if creating or "name" in given:
            if not isinstance(name, str) or not name.strip():
                errors.append("Name can't be blank")
            elif len(name) > 255:
                errors.append("Name is too long (maximum is 255 characters)")
        if "status" in given and given["status"] not in STATUSES:
            errors.append(f"Status {given['status']!r} is not a valid realtime status")
        if "impact_override" in given and given["impact_override"] not in IMPACTS:
            errors.append("Impact override is not included in the list")
        components = given.get("components") or {}
        if not isinstance(components, dict):
            errors.append("Components must be a map of component id to status")
            components = {}
        for cid, status in components.items():
            if cid not in COMPONENTS:
                errors.append(f"Component {cid} does not belong to this page")
            elif status not in COMPONENT_STATUSES:
                errors.append(f"Component status {status!r} is not valid")
        for cid in given.get("component_ids") or []:
            if cid not in COMPONENTS:
                errors.append(f"Component {cid} does not belong to this page")
        if not isinstance(given.get("metadata", {}), dict):
            errors.append("Metadata must be an object")
        if errors:
            raise Refusal(422, {"error": errors})
        return given

    def _create(self, body: Any) -> Reply:
        given = self._fields(body, creating=True)
        incident = SpIncident(
            id=next(self._ids),
            name=given["name"],
            status=given.get("status") or "investigating",
            impact=given.get("impact_override") or "none",
            components=dict(given.get("components") or {}),
            metadata=dict(given.get("metadata") or {}),
        )
        self._note(incident, given)
        self.incidents[incident.id] = incident
        return Reply(201, self._shown(incident))

    def _update(self, incident: SpIncident, body: Any) -> Reply:
        given = self._fields(body, creating=False)
        incident.name = given.get("name", incident.name)
        incident.status = given.get("status", incident.status)
        incident.impact = given.get("impact_override", incident.impact)
        incident.components.update(given.get("components") or {})
        self._note(incident, given)
        return Reply(200, self._shown(incident))

    def _note(self, incident: SpIncident, given: dict[str, Any]) -> None:
        update = {
            "id": f"{incident.id}u{len(incident.updates) + 1}",
            "status": incident.status,
            "body": given.get("body") or "",
            "components": dict(given.get("components") or {}),
            "deliver_notifications": given.get("deliver_notifications", True) is not False,
        }
        incident.updates.append(update)
        if update["deliver_notifications"]:
            self.notified.append((incident.id, update["status"], update["body"]))

    def _shown(self, incident: SpIncident) -> dict[str, Any]:
        return {
            "id": incident.id,
            "name": incident.name,
            "status": incident.status,
            "impact": incident.impact,
            "page_id": PAGE_ID,
            "metadata": incident.metadata,
            "incident_updates": [
                {
                    "id": u["id"],
                    "incident_id": incident.id,
                    "status": u["status"],
                    "body": u["body"],
                    "affected_components": [
                        {"code": c, "new_status": state} for c, state in u["components"].items()
                    ],
                    "deliver_notifications": u["deliver_notifications"],
                }
                for u in reversed(incident.updates)
            ],
            "components": [{"id": c, "status": s} for c, s in incident.components.items()],
        }


def _number(
    query: dict[str, list[str]], name: str, default: int, low: int, high: int | None
) -> int:
    given = query.get(name)
    if not given:
        return default
    try:
        value = int(given[-1])
    except ValueError:
        raise Refusal(400, {"error": f"{name} must be a whole number"}) from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"{low} or more"
        raise Refusal(400, {"error": f"{name} must be {bounds}"})
    return value
