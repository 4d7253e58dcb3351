"""Atlassian Statuspage's REST API, for teams that already have a page there.

A publication creates the page's incident (``POST /v1/pages/{page_id}/incidents``) and
later ones update it (``PATCH .../incidents/{id}``), with the incident's status, its
impact, the update's words and each mapped component's state. Authentication is
``Authorization: OAuth <key>``. A rate limit (429, or the 420 Statuspage also answers)
or a 5xx passes and is retried; any other refusal is final, in Statuspage's words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.net import provider_http as http
from bot.outbox.failures import Refused

NAME = "Statuspage"
NAME_MAX = 255


class StatuspageRefused(Refused):
    """Statuspage refused or failed a call; the words say why."""


@dataclass(frozen=True)
class IncidentChange:
    """One publication as Statuspage takes it."""

    name: str
    status: str  # investigating | identified | monitoring | resolved
    impact: str  # none | minor | major | critical
    body: str
    components: dict[str, str]  # Statuspage component id: its state
    public_id: str  # ours, kept in the incident's metadata to find it again


class Statuspage:
    name = NAME

    def __init__(self, base_url: str, token: str, page_id: str, transport: Any = None) -> None:
        self._page = page_id
        self._http = http.client(
            base_url,
            {"Authorization": f"OAuth {token}", "Accept": "application/json"},
            transport,
        )

    def close(self) -> None:
        self._http.close()

    def find(self, public_id: str) -> str | None:
        """The unresolved incident an earlier attempt created for ``public_id`` (its answer
        lost on the way), found by the metadata it was created with; None if there is none."""
        answer = http.call(
            StatuspageRefused,
            self._http,
            NAME,
            "GET",
            f"/v1/pages/{self._page}/incidents/unresolved",
            waits=("retry-after",),
        )
        if answer.status == 420:
            raise StatuspageRefused(
                "Statuspage is rate limiting the bot", retry=True, code="statuspage_420"
            )
        if answer.status != 200:
            raise StatuspageRefused(
                f"Statuspage refused the list of open incidents: {_said(answer)}",
                retry=False,
                code=f"statuspage_{answer.status}",
            )
        for item in answer.data if isinstance(answer.data, list) else []:
            if not isinstance(item, dict):
                continue
            ours = (item.get("metadata") or {}).get("incidentbot") or {}
            if isinstance(ours, dict) and ours.get("public_id") == public_id and item.get("id"):
                return str(item["id"])
        return None

    def create(self, change: IncidentChange) -> str:
        """Create the incident; its Statuspage id."""
        answer = self._call(
            "POST",
            f"/v1/pages/{self._page}/incidents",
            change,
            "the new incident",
            metadata={"incidentbot": {"public_id": change.public_id}},
        )
        found = answer.body.get("id")
        if not isinstance(found, str) or not found:
            raise StatuspageRefused(
                "Statuspage created an incident but did not say its id",
                retry=False,
                code="statuspage_no_id",
            )
        return found

    def update(self, incident_id: str, change: IncidentChange) -> None:
        self._call(
            "PATCH",
            f"/v1/pages/{self._page}/incidents/{incident_id}",
            change,
            "the incident's update",
        )

    def _call(
        self,
        method: str,
        path: str,
        change: IncidentChange,
        what: str,
        metadata: dict[str, Any] | None = None,
    ) -> http.Answer:
        body: dict[str, Any] = {
            "incident": {
                "name": change.name[:NAME_MAX],
                "status": change.status,
                "impact_override": change.impact,
                "body": change.body,
                "component_ids": list(change.components),
                "components": dict(change.components),
                "deliver_notifications": True,
            }
        }
        if metadata:
            body["incident"]["metadata"] = metadata
        answer = http.call(
            StatuspageRefused, self._http, NAME, method, path, json=body, waits=("retry-after",)
        )
        if answer.status == 420:  # Statuspage's other rate-limit answer
            raise StatuspageRefused(
                "Statuspage is rate limiting the bot",
                retry=True,
                code="statuspage_420",
                after=http.wait_asked(answer.headers, "retry-after"),
            )
        if answer.status not in (200, 201):
            raise StatuspageRefused(
                f"Statuspage refused {what}: {_said(answer)}",
                retry=False,
                code=f"statuspage_{answer.status}",
            )
        return answer


def _said(answer: http.Answer) -> str:
    """Statuspage's own words: ``{"error": "..."}`` or ``{"error": ["...", ...]}``."""
    error = answer.body.get("error") or answer.body.get("message")
    listed = error if isinstance(error, list) else [error or ""]
    words = "; ".join(str(e) for e in listed[:5])
    hint = {
        401: " (check INCIDENTBOT_STATUSPAGE_TOKEN)",
        404: " (check INCIDENTBOT_STATUSPAGE_PAGE_ID and the components' statuspage_id)",
    }.get(answer.status, "")
    return (words[:300] or f"HTTP {answer.status}") + hint
