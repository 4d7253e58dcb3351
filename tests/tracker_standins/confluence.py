"""Confluence Cloud as the bot uses it: spaces and pages through REST v2, attachments
through v1 (v2 has no upload).

Enforced: basic auth (401), a storage-format body that is well-formed XHTML, titles of
1 to 255 characters and unique in their space (400, as Confluence answers), an update
whose version is exactly the current one plus one (409 Conflict otherwise: someone
else's edit came first), and the ``X-Atlassian-Token: no-check`` header an upload
needs (403 ``XSRF check failed`` without it)."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.pager_standins.base import JsonStandIn, Refusal, Reply, Request

EMAIL = "bot@example.com"
TOKEN = "confluence-api-token"
SPACE_KEY, SPACE_ID = "MLOPS", "98305"
SITE = "https://acme.atlassian.net/wiki"  # the links it answers with (never fetched)
_NAMESPACES = (
    'xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource/identifier"'
)


def _errors(status: int, title: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "status": status,
                "code": "BAD_REQUEST" if status == 400 else "CONFLICT",
                "title": title,
                "detail": None,
            }
        ]
    }


def check_storage(value: str) -> ET.Element:
    """The body as Confluence parses it: well-formed XHTML with ac:/ri: elements."""
    try:
        return ET.fromstring(f"<root {_NAMESPACES}>{value}</root>")
    except ET.ParseError as bad:
        raise Refusal(400, _errors(400, f"Error parsing xhtml: {bad}")) from None


@dataclass
class Page:
    id: str
    title: str
    body: str
    version: int = 1
    versions: list[str] = field(default_factory=list)  # every body, oldest first
    attachments: dict[str, list[bytes]] = field(default_factory=dict)  # name: its versions


class ConfluenceStandIn(JsonStandIn):
    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, Page] = {}
        self.racing_edits = 0  # updates that someone else's edit beats, one each

    def titled(self, title: str) -> Page | None:
        with self.lock:
            return next((p for p in self.pages.values() if p.title == title), None)

    def edit(self, page_id: str) -> None:
        """Someone edits the page in Confluence: its version moves on."""
        with self.lock:
            page = self.pages[page_id]
            page.version += 1
            page.versions.append(page.body)

    def handle(self, request: Request) -> Reply:
        expected = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        if request.headers.get("authorization") != expected:
            raise Refusal(
                401, {"message": "Current user not permitted to use Confluence", "statusCode": 401}
            )
        path, method = request.path, request.method
        if method == "GET" and path == "/wiki/api/v2/spaces":
            keys = request.query.get("keys", [""])[0].split(",")
            found = [{"id": SPACE_ID, "key": SPACE_KEY}] if SPACE_KEY in keys else []
            return Reply(200, {"results": found, "_links": {}})
        if method == "GET" and path == "/wiki/api/v2/pages":
            title = request.query.get("title", [None])[0]
            space = request.query.get("space-id", [None])[0]
            found = [
                self._shown(p)
                for p in self.pages.values()
                if space == SPACE_ID and (title is None or p.title == title)
            ]
            return Reply(200, {"results": found, "_links": {}})
        if method == "POST" and path == "/wiki/api/v2/pages":
            return self._create(request.body)
        if path.startswith("/wiki/api/v2/pages/"):
            page = self.pages.get(path.rsplit("/", 1)[-1])
            if page is None:
                raise Refusal(404, _errors(404, "Page not found"))
            if method == "GET":
                return Reply(200, self._shown(page))
            if method == "PUT":
                return self._update(page, request.body)
        if method == "PUT" and path.startswith("/wiki/rest/api/content/"):
            return self._attach(request, path.split("/")[5])
        raise Refusal(404, {"message": f"No API at {path}", "statusCode": 404})

    def _body(self, body: Any) -> tuple[str, str]:
        if not isinstance(body, dict):
            raise Refusal(400, _errors(400, "The request body is not JSON"))
        title = body.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 255:
            raise Refusal(400, _errors(400, "A page's title must be 1 to 255 characters"))
        content = body.get("body") or {}
        if content.get("representation") != "storage" or not isinstance(content.get("value"), str):
            raise Refusal(400, _errors(400, "Unsupported body representation"))
        check_storage(content["value"])
        return title, content["value"]

    def _create(self, body: Any) -> Reply:
        title, value = self._body(body)
        if body.get("spaceId") != SPACE_ID:
            raise Refusal(400, _errors(400, "Space not found"))
        if self.titled(title) is not None:
            raise Refusal(
                400,
                _errors(
                    400,
                    "A page with this title already exists: A page "
                    "already exists with the same TITLE in this space",
                ),
            )
        page = Page(str(65536 + len(self.pages)), title, value, versions=[value])
        self.pages[page.id] = page
        return Reply(200, self._shown(page))

    def _update(self, page: Page, body: Any) -> Reply:
        title, value = self._body(body)
        if self.racing_edits > 0:  # a person saved just before the bot's write arrived
            self.racing_edits -= 1
            page.version += 1
            page.versions.append(page.body)
        wanted = (body.get("version") or {}).get("number")
        if wanted != page.version + 1:
            raise Refusal(
                409,
                _errors(
                    409,
                    f"Version must be incremented on update. Current version is: {page.version}",
                ),
            )
        other = self.titled(title)
        if other is not None and other.id != page.id:
            raise Refusal(400, _errors(400, "A page with this title already exists"))
        page.title, page.body, page.version = title, value, wanted
        page.versions.append(value)
        return Reply(200, self._shown(page))

    def _attach(self, request: Request, page_id: str) -> Reply:
        if request.headers.get("x-atlassian-token") != "no-check":
            raise Refusal(403, {"message": "XSRF check failed", "statusCode": 403})
        page = self.pages.get(page_id)
        if page is None:
            raise Refusal(404, {"message": "No content found with id", "statusCode": 404})
        raw = request.body if isinstance(request.body, bytes) else b""
        kind = request.headers.get("content-type", "")
        if not kind.startswith("multipart/form-data"):
            raise Refusal(415, {"message": "Attachments are sent as multipart/form-data"})
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode() + raw
        )
        files = [
            p
            for p in message.iter_parts()
            if p.get_param("name", header="content-disposition") == "file"
        ]
        if not files or not files[0].get_filename():
            raise Refusal(400, {"message": "No file part named 'file'", "statusCode": 400})
        part = files[0]
        name = str(part.get_filename())
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        page.attachments.setdefault(name, []).append(content)
        return Reply(
            200,
            {
                "results": [
                    {
                        "id": f"att{len(page.attachments)}",
                        "title": name,
                        "version": {"number": len(page.attachments[name])},
                    }
                ]
            },
        )

    def _shown(self, page: Page) -> dict[str, Any]:
        return {
            "id": page.id,
            "status": "current",
            "title": page.title,
            "spaceId": SPACE_ID,
            "version": {"number": page.version},
            "_links": {"webui": f"/spaces/{SPACE_KEY}/pages/{page.id}", "base": SITE},
        }
