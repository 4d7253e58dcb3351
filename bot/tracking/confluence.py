"""Confluence Cloud, for post-mortems: pages through REST v2 (``/wiki/api/v2/pages``) in
the storage format, the charts as attachments through v1's attachment API (v2 has no
upload). Publishing again updates the same page with the next version number; a
version conflict (409: someone edited it meanwhile) reads the page's version again and
writes on top of it, as the document is assembled from the timeline, not edited."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from bot.net import provider_http as http
from bot.tracking.tracker import TrackerRefused, cut

NAME = "Confluence"
TITLE_MAX = 255
CONFLICTS = 3  # versions written over before giving up (to try again later)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    media_type: str = "image/png"


@dataclass(frozen=True)
class Published:
    page_id: str
    url: str | None
    version: int
    created: bool  # a new page (else a new version of the one there)


class Confluence:
    name = NAME

    def __init__(
        self, base_url: str, email: str, token: str, space: str, transport: Any = None
    ) -> None:
        pair = base64.b64encode(f"{email}:{token}".encode()).decode("ascii")
        self._base = base_url.rstrip("/")
        self._space = space
        self._space_id: str | None = None
        self._http = http.client(
            self._base,
            {"Authorization": f"Basic {pair}", "Accept": "application/json"},
            transport,
        )

    def publish(
        self,
        title: str,
        storage: str,
        attachments: list[Attachment],
        page_id: str | None = None,
        message: str = "",
    ) -> Published:
        """Write the page: update ``page_id`` (or the space's page of this title, one a
        crashed attempt made), or create it. Attachments go first on an update so the new
        version's images are there when it is read; after the page, on a new one."""
        title = cut(title, TITLE_MAX)
        space_id = self._space_of()
        if page_id is None:
            page_id = self._page_titled(space_id, title)
        if page_id is None:
            created = self._create(space_id, title, storage)
            if created is not None:
                for attachment in attachments:
                    self._attach(created.page_id, attachment)
                return created
            # Another publisher made it between the lookup and the create: update that one.
            page_id = self._page_titled(space_id, title)
            if page_id is None:
                raise TrackerRefused(
                    "Confluence says a page of that title exists but does not show it",
                    retry=True,
                    code="confluence_title",
                )
        for attachment in attachments:
            self._attach(page_id, attachment)
        return self._update(page_id, space_id, title, storage, message)

    # -- pages -----------------------------------------------------------------------------
    def _space_of(self) -> str:
        if self._space_id is None:
            answer = self._call("GET", "/wiki/api/v2/spaces", params={"keys": self._space})
            if answer.status != 200:
                raise self._refused(answer, "the space lookup")
            found = [s for s in answer.body.get("results") or [] if isinstance(s, dict)]
            if not found or not found[0].get("id"):
                raise TrackerRefused(
                    f"Confluence has no space {self._space} (or the bot's account cannot see "
                    "it); check INCIDENTBOT_CONFLUENCE_SPACE",
                    retry=False,
                    code="confluence_no_space",
                )
            self._space_id = str(found[0]["id"])
        return self._space_id

    def _page_titled(self, space_id: str, title: str) -> str | None:
        answer = self._call(
            "GET",
            "/wiki/api/v2/pages",
            params={"space-id": space_id, "title": title, "status": "current", "limit": "1"},
        )
        if answer.status != 200:
            raise self._refused(answer, "the page lookup")
        found = [p for p in answer.body.get("results") or [] if isinstance(p, dict)]
        return str(found[0]["id"]) if found and found[0].get("id") else None

    def _create(self, space_id: str, title: str, storage: str) -> Published | None:
        """The new page; None when the space has one of that title already."""
        body = {
            "spaceId": space_id,
            "status": "current",
            "title": title,
            "body": {"representation": "storage", "value": storage},
        }
        answer = self._call("POST", "/wiki/api/v2/pages", json=body)
        if answer.status == 400 and "already exists" in str(answer.data).lower():
            return None
        if answer.status not in (200, 201) or not answer.body.get("id"):
            raise self._refused(answer, "the page")
        return self._published(answer.body, created=True)

    def _update(
        self, page_id: str, space_id: str, title: str, storage: str, message: str
    ) -> Published:
        for _ in range(CONFLICTS):
            current = self._version(page_id)
            body = {
                "id": page_id,
                "status": "current",
                "title": title,
                "spaceId": space_id,
                "body": {"representation": "storage", "value": storage},
                "version": {"number": current + 1, "message": cut(message, 200)},
            }
            answer = self._call("PUT", f"/wiki/api/v2/pages/{page_id}", json=body)
            if answer.status == 409:
                continue  # edited meanwhile: write on top of the version there now
            if answer.status != 200:
                raise self._refused(answer, "the new version")
            return self._published(answer.body, created=False)
        raise TrackerRefused(
            "Confluence kept answering that the page changed meanwhile (409)",
            retry=True,
            code="confluence_409",
        )

    def _version(self, page_id: str) -> int:
        answer = self._call("GET", f"/wiki/api/v2/pages/{page_id}")
        if answer.status != 200:
            raise self._refused(answer, "reading the page")
        version = answer.body.get("version") or {}
        return int(version.get("number") or 1)

    def _published(self, page: dict[str, Any], *, created: bool) -> Published:
        links = page.get("_links") or {}
        webui, base = links.get("webui"), links.get("base") or f"{self._base}/wiki"
        url = f"{base}{webui}" if isinstance(webui, str) and webui.startswith("/") else None
        version = int((page.get("version") or {}).get("number") or 1)
        return Published(str(page["id"]), url, version, created)

    # -- attachments -----------------------------------------------------------------------
    def _attach(self, page_id: str, attachment: Attachment) -> None:
        """Create the attachment, or a new version of the one of that name."""
        answer = self._call(
            "PUT",
            f"/wiki/rest/api/content/{page_id}/child/attachment",
            files={"file": (attachment.filename, attachment.content, attachment.media_type)},
            data={"minorEdit": "true"},
            headers={"X-Atlassian-Token": "no-check"},
        )
        if answer.status != 200:
            raise self._refused(answer, f"the attachment {attachment.filename}")

    # -- answers ---------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> http.Answer:
        answer = http.call(TrackerRefused, self._http, NAME, method, path, **kwargs)
        return answer

    def _refused(self, answer: http.Answer, what: str) -> TrackerRefused:
        if answer.status == 401:
            words = "it does not accept the bot's email and API token"
        elif answer.status == 403:
            words = f"the bot's account may not write in the space {self._space}"
        elif answer.status == 404:
            words = "it cannot find that page or API (INCIDENTBOT_CONFLUENCE_URL)"
        else:
            errors = answer.body.get("errors") or []
            said = [str(e.get("title") or e.get("detail")) for e in errors if isinstance(e, dict)]
            said = said or [str(answer.body.get("message") or f"HTTP {answer.status}")]
            words = cut("; ".join(said), 300)
        return TrackerRefused(
            f"Confluence refused {what}: {words}", retry=False, code=f"confluence_{answer.status}"
        )
