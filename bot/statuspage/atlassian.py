"""Atlassian Statuspage's REST API, for teams that already have a page there.

A publication creates the page's incident (``POST /v1/pages/{page_id}/incidents``) and
later ones update it (``PATCH .../incidents/{id}``), with the incident's status, its
impact, the update's words and each mapped component's state. Authentication is
``Authorization: OAuth <key>``. A rate limit (429, or the 420 Statuspage also answers)
or a 5xx passes and is retried; any other refusal is final, in Statuspage's words.

A creation whose answer was lost is found again by the public id kept in the incident's
metadata: among the unresolved incidents for an open story, then by a bounded search of
all the page's incidents (``GET .../incidents?q=&limit=&page=``, ``q`` matching the name),
which also sees one created resolved. The found incident already carries the update
the lost creation sent (its ``incident_updates``, newest first): ``Found.says`` tells
whether a publication's words and status are already its latest, so they are not sent,
and subscribers not notified, twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.net import provider_http as http
from bot.outbox.failures import Refused

NAME = "Statuspage"
NAME_MAX = 255
SEARCH_LIMIT = 100  # incidents a page of the list holds: Statuspage's default and maximum
SEARCH_PAGES = 3  # pages of the search read at most
SEARCH_SECONDS = 30.0  # the whole search's deadline (each call has its own too)


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


@dataclass(frozen=True)
class Found:
    """An incident an earlier attempt made, and its latest update's status and words
    (None when Statuspage listed no update)."""

    id: str
    latest: tuple[str, str] | None = None

    def says(self, change: IncidentChange) -> bool:
        """Whether the incident's latest update already has ``change``'s status and words."""
        return self.latest is not None and self.latest == (
            change.status,
            change.body.strip(),
        )


class Statuspage:
    name = NAME

    def __init__(
        self,
        base_url: str,
        token: str,
        page_id: str,
        transport: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._page = page_id
        self._clock = clock
        self._http = http.client(
            base_url,
            {"Authorization": f"OAuth {token}", "Accept": "application/json"},
            transport,
        )

    def close(self) -> None:
        self._http.close()

    def find(self, change: IncidentChange) -> Found | None:
        """The incident an earlier attempt created for ``change`` (its answer lost on the
        way), found by the public id in its metadata; None if there is none.

        An open story's lost creation made an open incident: the unresolved list (one
        call) finds it. A story created resolved, or an open one resolved by hand on
        Statuspage since, is only in the list of all incidents, searched by name: at most
        ``SEARCH_PAGES`` pages of ``SEARCH_LIMIT`` within ``SEARCH_SECONDS``. Past the
        pages it is taken as never created; past the deadline the work is tried later."""
        if change.status != "resolved":
            listed = self._list(f"/v1/pages/{self._page}/incidents/unresolved", {})
            found = _ours(listed, change.public_id)
            if found is not None:
                return found
        deadline = self._clock() + SEARCH_SECONDS
        for page in range(1, SEARCH_PAGES + 1):
            if self._clock() > deadline:
                raise StatuspageRefused(
                    "Statuspage's incidents could not be searched in time",
                    retry=True,
                    code="statuspage_search_deadline",
                )
            listed = self._list(
                f"/v1/pages/{self._page}/incidents",
                {"q": change.name[:NAME_MAX], "limit": SEARCH_LIMIT, "page": page},
            )
            found = _ours(listed, change.public_id)
            if found is not None:
                return found
            if len(listed) < SEARCH_LIMIT:
                return None
        return None

    def _list(self, path: str, params: dict[str, Any]) -> list[Any]:
        answer = http.call(
            StatuspageRefused,
            self._http,
            NAME,
            "GET",
            path,
            params=params,
            waits=("retry-after",),
        )
        if answer.status == 420:
            raise StatuspageRefused(
                "Statuspage is rate limiting the bot",
                retry=True,
                code="statuspage_420",
                after=http.wait_asked(answer.headers, "retry-after"),
            )
        if answer.status != 200:
            raise StatuspageRefused(
                f"Statuspage refused the list of incidents: {_said(answer)}",
                retry=False,
                code=f"statuspage_{answer.status}",
            )
        return answer.data if isinstance(answer.data, list) else []

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


def _ours(listed: list[Any], public_id: str) -> Found | None:
    """The listed incident created with our ``public_id`` in its metadata."""
    for item in listed:
        if not isinstance(item, dict):
            continue
        metadata = item.get("metadata")
        ours = metadata.get("incidentbot") if isinstance(metadata, dict) else None
        if isinstance(ours, dict) and ours.get("public_id") == public_id and item.get("id"):
            return Found(str(item["id"]), _latest(item.get("incident_updates")))
    return None


def _latest(updates: Any) -> tuple[str, str] | None:
    """The newest update's status and words: Statuspage lists ``incident_updates``
    newest first, each with its ``status`` and ``body``."""
    if not isinstance(updates, list) or not updates or not isinstance(updates[0], dict):
        return None
    status, body = updates[0].get("status"), updates[0].get("body")
    if not isinstance(status, str) or not isinstance(body, str):
        return None
    return status, body.strip()


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
