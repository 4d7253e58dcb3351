"""PagerDuty's REST API v2 and Webhooks v3, as far as the bot uses them.

Rules enforced, from PagerDuty's reference: ``Authorization: Token token=<key>`` on
every call (401 otherwise); a ``From`` header naming an existing user on every write;
an incident needs a title and a known service; one open incident per ``incident_key``
and service ("Open incident with matching dedup key already exists on this service");
statuses only move forward, and a resolved incident answers 1001 "Incident Already
Resolved"; an escalation level must exist in the policy; the rate limit answers 429
with ``ratelimit-*`` headers. Errors have PagerDuty's body:
``{"error": {"message": ..., "code": ..., "errors": [...]}}``. Webhook deliveries are
signed ``v1=<hex HMAC-SHA256>`` with each of the subscription's secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.pager_standins.base import JsonStandIn, Refusal, Reply, Request

TOKEN = "pd-standin-token"
ORDER = {"triggered": 0, "acknowledged": 1, "resolved": 2}


def _error(status: int, message: str, code: int, *errors: str) -> Refusal:
    return Refusal(status, {"error": {"message": message, "code": code, "errors": list(errors)}})


@dataclass
class Incident:
    id: str
    number: int
    title: str
    service: str
    key: str | None
    details: str
    urgency: str
    status: str = "triggered"
    level: int = 1
    assignees: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)  # when the page was accepted

    def json(self, stand_in: PagerDutyStandIn) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "incident",
            "incident_number": self.number,
            "title": self.title,
            "status": self.status,
            "urgency": self.urgency,
            "incident_key": self.key,
            "html_url": f"https://standin.pagerduty.com/incidents/{self.id}",
            "service": {"id": self.service, "type": "service_reference"},
            "escalation_level": self.level,
            "assignments": [
                {
                    "assignee": {
                        "id": u,
                        "type": "user_reference",
                        "summary": stand_in.users[u]["name"],
                    }
                }
                for u in self.assignees
            ],
        }


class PagerDutyStandIn(JsonStandIn):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.users: dict[str, dict[str, Any]] = {}
        self.policies: dict[str, list[list[str]]] = {}  # id -> users at each level
        self.services: dict[str, dict[str, Any]] = {}
        self.incidents: dict[str, Incident] = {}
        self._numbers = itertools.count(1)

    # -- the account ----------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, email: str) -> str:
        self.users[user_id] = {
            "id": user_id,
            "name": name,
            "email": email,
            "type": "user",
            "summary": name,
        }
        return user_id

    def add_service(self, service_id: str, name: str, levels: list[list[str]]) -> str:
        policy = f"EP{service_id}"
        self.policies[policy] = levels
        self.services[service_id] = {
            "id": service_id,
            "name": name,
            "type": "service",
            "escalation_policy": {"id": policy, "type": "escalation_policy_reference"},
        }
        return service_id

    def pages_for(self, key_part: str) -> list[Incident]:
        """Incidents whose incident_key contains ``key_part`` (e.g. "INC-3:")."""
        with self.lock:
            return [i for i in self.incidents.values() if i.key and key_part in i.key]

    # -- the API --------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Token token={self.token}":
            raise _error(401, "Unauthorized", 2006, "Invalid or missing API token")
        if request.method in ("POST", "PUT"):
            sender = request.headers.get("from", "")
            if not any(u["email"] == sender for u in self.users.values()):
                raise _error(
                    400,
                    "Invalid Input Provided",
                    2001,
                    "A valid 'From' header with an existing user's email is required.",
                )
        parts = [p for p in request.path.split("/") if p]
        if parts == ["incidents"] and request.method == "POST":
            return self._create(request.body or {})
        if parts == ["incidents"] and request.method == "GET":
            return self._list(request.query)
        if len(parts) == 2 and parts[0] == "incidents" and request.method == "PUT":
            return self._update(parts[1], request.body or {})
        if len(parts) == 2 and parts[0] == "services" and request.method == "GET":
            service = self.services.get(parts[1])
            if service is None:
                raise _error(404, "Not Found", 2100)
            return Reply(200, {"service": service})
        if parts == ["oncalls"] and request.method == "GET":
            return self._oncalls(request.query)
        raise _error(404, "Not Found", 2100)

    def _create(self, body: dict[str, Any]) -> Reply:
        incident = body.get("incident")
        if not isinstance(incident, dict) or incident.get("type") != "incident":
            raise _error(400, "Invalid Input Provided", 2001, "Incident type must be incident.")
        title = str(incident.get("title") or "").strip()
        if not title:
            raise _error(400, "Invalid Input Provided", 2001, "Title cannot be empty.")
        service_id = str((incident.get("service") or {}).get("id") or "")
        service = self.services.get(service_id)
        if service is None:
            raise _error(400, "Invalid Input Provided", 2001, "Service not found.")
        key = incident.get("incident_key")
        for other in self.incidents.values():
            if (
                key
                and other.key == key
                and other.service == service_id
                and other.status != "resolved"
            ):
                raise _error(
                    400,
                    "Invalid Input Provided",
                    2001,
                    "Open incident with matching dedup key already exists on this service",
                )
        levels = self.policies[service["escalation_policy"]["id"]]
        if not levels or not levels[0]:
            raise _error(
                400, "Invalid Input Provided", 2001, "The escalation policy has no on-call users"
            )
        created = Incident(
            id=f"Q{uuid.uuid4().hex[:12].upper()}",
            number=next(self._numbers),
            title=title,
            service=service_id,
            key=key,
            details=str(((incident.get("body") or {}).get("details")) or ""),
            urgency=str(incident.get("urgency") or "high"),
            assignees=list(levels[0]),
        )
        self.incidents[created.id] = created
        return Reply(201, {"incident": created.json(self)})

    def _list(self, query: dict[str, list[str]]) -> Reply:
        key = (query.get("incident_key") or [None])[0]
        services = set(query.get("service_ids[]") or [])
        statuses = set(query.get("statuses[]") or [])
        found = [
            i.json(self)
            for i in self.incidents.values()
            if (key is None or i.key == key)
            and (not services or i.service in services)
            and (not statuses or i.status in statuses)
        ]
        return Reply(200, {"incidents": found, "limit": 25, "offset": 0, "more": False})

    def _update(self, incident_id: str, body: dict[str, Any]) -> Reply:
        incident = self.incidents.get(incident_id)
        if incident is None:
            raise _error(404, "Not Found", 2100, "Incident not found")
        change = body.get("incident") or {}
        if change.get("type") not in ("incident", "incident_reference"):
            raise _error(400, "Invalid Input Provided", 2001, "Type must be incident_reference.")
        if incident.status == "resolved":
            raise _error(400, "Incident Already Resolved", 1001, "Incident Already Resolved")
        if "status" in change:
            status = str(change["status"])
            if status not in ORDER or ORDER[status] < ORDER[incident.status]:
                raise _error(400, "Invalid Input Provided", 2001, f"Cannot move to {status}.")
            incident.status = status
        if "escalation_level" in change:
            level = int(change["escalation_level"])
            levels = self.policies[self.services[incident.service]["escalation_policy"]["id"]]
            if not 1 <= level <= len(levels):
                raise _error(400, "Invalid Input Provided", 2001, "Escalation level is invalid.")
            incident.level = level
            incident.assignees = list(levels[level - 1])
        return Reply(200, {"incident": incident.json(self)})

    def _oncalls(self, query: dict[str, list[str]]) -> Reply:
        policies = query.get("escalation_policy_ids[]") or list(self.policies)
        users = "users" in (query.get("include[]") or [])
        found = []
        for policy in policies:
            for level, people in enumerate(self.policies.get(policy, []), 1):
                for person in people:
                    user = self.users[person]
                    found.append(
                        {
                            "escalation_policy": {"id": policy},
                            "escalation_level": level,
                            # permanent on-calls: no start and no end
                            "start": None,
                            "end": None,
                            "user": dict(user)
                            if users
                            else {"id": person, "type": "user_reference", "summary": user["name"]},
                        }
                    )
        return Reply(200, {"oncalls": found, "limit": 100, "offset": 0, "more": False})

    def rate_limit(self, times: int = 1, reset: int = 1) -> None:
        self.fail_next(
            429,
            {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
            {"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)},
            times,
        )

    # -- webhooks -------------------------------------------------------------------------
    def delivery(self, event_type: str, incident_id: str, agent: str | None) -> bytes:
        """A Webhooks v3 body for a change to one of the stand-in's incidents."""
        incident = self.incidents[incident_id]
        data = incident.json(self)
        data["assignees"] = [a["assignee"] for a in data.pop("assignments")]
        body = {
            "event": {
                "id": uuid.uuid4().hex,
                "event_type": event_type,
                "resource_type": "incident",
                "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "agent": {"id": "PAGENT", "summary": agent, "type": "user_reference"}
                if agent
                else None,
                "client": None,
                "data": data,
            }
        }
        return json.dumps(body).encode()

    def deliver(
        self, url: str, secrets: list[str], body: bytes, webhook_id: str | None = None
    ) -> httpx.Response:
        """Send ``body`` as PagerDuty does: signed with every secret, with a delivery ID."""
        signatures = ",".join(
            "v1=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets
        )
        return httpx.post(
            url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "PagerDuty-Webhook/V3.0",
                "X-PagerDuty-Signature": signatures,
                "X-Webhook-Id": webhook_id or uuid.uuid4().hex,
                "X-Webhook-Subscription": "PSUBSTANDIN",
            },
            timeout=10,
        )

    def acknowledge(self, incident_id: str) -> None:
        with self.lock:
            self.incidents[incident_id].status = "acknowledged"

    def resolve(self, incident_id: str) -> None:
        with self.lock:
            self.incidents[incident_id].status = "resolved"
