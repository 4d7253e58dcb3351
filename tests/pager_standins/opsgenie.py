"""The Opsgenie-shaped alert API (Opsgenie, and Jira Service Management Ops after it).

Rules enforced: ``Authorization: GenieKey <key>`` (401 otherwise); an alert needs a
``message`` of at most 130 characters (422 otherwise); an open alert with the same
``alias`` is deduplicated (its count goes up, no new alert); creating and closing answer
202 with a ``requestId`` whose outcome is read at ``/v2/alerts/requests/{id}``; a
schedule's on-calls are read by name; 429 when rate limited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.pager_standins.base import JsonStandIn, Refusal, Reply, Request

KEY = "genie-standin-key"


@dataclass
class Alert:
    id: str
    alias: str
    message: str
    description: str
    responders: list[dict[str, Any]]
    priority: str
    status: str = "open"
    count: int = 1
    notes: list[str] = field(default_factory=list)


class OpsgenieStandIn(JsonStandIn):
    def __init__(self, key: str = KEY) -> None:
        super().__init__()
        self.key = key
        self.alerts: dict[str, Alert] = {}
        self.schedules: dict[str, list[str]] = {}  # name -> on-call emails
        self.requests_made: dict[str, dict[str, Any]] = {}

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"GenieKey {self.key}":
            raise Refusal(
                401,
                {"message": "Could not authenticate", "took": 0.0, "requestId": uuid.uuid4().hex},
            )
        parts = [unquote(p) for p in request.path.split("/") if p]
        if parts == ["v2", "alerts"] and request.method == "POST":
            return self._create(request.body or {})
        if parts[:3] == ["v2", "alerts", "requests"] and len(parts) == 4:
            outcome = self.requests_made.get(parts[3])
            if outcome is None:
                raise Refusal(404, {"message": "Request not found", "took": 0.0})
            return Reply(200, {"data": outcome, "took": 0.0, "requestId": uuid.uuid4().hex})
        if len(parts) == 4 and parts[:2] == ["v2", "alerts"] and parts[3] == "close":
            if (request.query.get("identifierType") or ["id"])[0] != "alias":
                raise Refusal(422, {"message": "identifierType must be alias here"})
            return self._close(parts[2])
        if len(parts) == 4 and parts[:2] == ["v2", "schedules"] and parts[3] == "on-calls":
            people = self.schedules.get(parts[2])
            if people is None:
                raise Refusal(404, {"message": f"No schedule exists with name [{parts[2]}]"})
            return Reply(
                200, {"data": {"_parent": {"name": parts[2]}, "onCallRecipients": list(people)}}
            )
        raise Refusal(404, {"message": "Not found"})

    def _accepted(self, outcome: dict[str, Any]) -> Reply:
        request_id = uuid.uuid4().hex
        self.requests_made[request_id] = outcome
        return Reply(
            202, {"result": "Request will be processed", "took": 0.01, "requestId": request_id}
        )

    def _create(self, body: dict[str, Any]) -> Reply:
        message = str(body.get("message") or "")
        if not message.strip():
            raise Refusal(
                422,
                {
                    "message": "Request body is not processable. Please check the errors.",
                    "errors": {"message": "Message can not be empty."},
                },
            )
        if len(message) > 130:
            raise Refusal(
                422,
                {
                    "message": "Request body is not processable.",
                    "errors": {"message": "Message can not be longer than 130."},
                },
            )
        alias = str(body.get("alias") or uuid.uuid4().hex)
        open_alert = next(
            (a for a in self.alerts.values() if a.alias == alias and a.status == "open"), None
        )
        if open_alert is not None:
            open_alert.count += 1
            return self._accepted(
                {
                    "success": True,
                    "isSuccess": True,
                    "action": "Create",
                    "status": "Alert deduplicated",
                    "alertId": open_alert.id,
                    "alias": alias,
                }
            )
        alert = Alert(
            uuid.uuid4().hex,
            alias,
            message,
            str(body.get("description") or ""),
            list(body.get("responders") or []),
            str(body.get("priority") or "P3"),
        )
        self.alerts[alert.id] = alert
        return self._accepted(
            {
                "success": True,
                "isSuccess": True,
                "action": "Create",
                "status": "Created alert",
                "alertId": alert.id,
                "alias": alias,
            }
        )

    def _close(self, alias: str) -> Reply:
        alert = next((a for a in self.alerts.values() if a.alias == alias), None)
        if alert is None:
            return self._accepted(
                {
                    "success": False,
                    "isSuccess": False,
                    "action": "Close",
                    "status": "Alert does not exist",
                }
            )
        alert.status = "closed"
        return self._accepted(
            {
                "success": True,
                "isSuccess": True,
                "action": "Close",
                "status": "Closed alert",
                "alertId": alert.id,
                "alias": alias,
            }
        )
