"""The public status page, served by the bot with no sign-in: ``/status`` (every
component now, open incidents, the 90-day bars, past incidents), ``/status/incidents/
<public id>`` (one incident's public story), ``/status/feed.atom`` and ``/status.json``
(Atlassian Statuspage's summary shape).

Server-rendered HTML without scripts, autoescaped; the shared security headers (a
strict Content-Security-Policy) come from the web layer. Every answer carries an ETag
made from the last publication, the day and the components file: a browser or cache
asking again with ``If-None-Match`` gets a 304, and a page already drawn for that
version is served from memory without reading the database again."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.statuspage import reading
from bot.statuspage.components import StatusPage
from bot.statuspage.states import ComponentState
from bot.store.db import Database
from bot.store.models import utcnow
from bot.web.sites import Site

HERE = Path(__file__).parent
STATIC_AT = "/status-static"
CACHE_CONTROL = "public, max-age=30"
KEPT = 256  # pages kept drawn (each incident's page is one)
PUBLIC_ID_MAX = 16

Clock = Callable[[], datetime]
Drawn = tuple[int, bytes, str]  # status, body, media type


def status_site() -> Site:
    site = Site([HERE / "templates"], [HERE / "static"], static_at=STATIC_AT)
    site.env.filters["when"] = _when
    site.env.globals["State"] = ComponentState
    return site


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC").lstrip("0")


class _Drawn:
    """Pages drawn for a version, newest kept (a small LRU)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: OrderedDict[tuple[str, str], tuple[int, bytes, str]] = OrderedDict()

    def get(self, key: tuple[str, str]) -> tuple[int, bytes, str] | None:
        with self._lock:
            found = self._pages.get(key)
            if found is not None:
                self._pages.move_to_end(key)
            return found

    def put(self, key: tuple[str, str], value: tuple[int, bytes, str]) -> None:
        with self._lock:
            self._pages[key] = value
            while len(self._pages) > KEPT:
                self._pages.popitem(last=False)


class _Asked:
    """One request's reading: its session, the time, the version, the path's values."""

    def __init__(self, session: Any, now: datetime, version: str, params: dict[str, str]):
        self.session, self.now, self.version, self.params = session, now, version, params


Draw = Callable[[_Asked], Drawn]


class StatusPages:
    def __init__(
        self,
        db: Database,
        page: StatusPage,
        *,
        page_id: str | None = None,
        clock: Clock = utcnow,
        site: Site | None = None,
    ) -> None:
        self.db = db
        self.page = page
        self.page_id = page_id or "incidentbot"
        self.clock = clock
        self.site = site or status_site()
        self._drawn = _Drawn()
        self._lock = threading.Lock()
        self._past: reading.PastDays | None = None  # the bars' days before today
        self._shot: tuple[str, reading.Snapshot] | None = None  # /status and /status.json

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/status", self._endpoint(self._front), methods=["GET"]),
            Route("/status/", self._endpoint(self._front), methods=["GET"]),
            Route("/status.json", self._endpoint(self._summary), methods=["GET"]),
            Route("/status/feed.atom", self._endpoint(self._feed), methods=["GET"]),
            Route("/status/incidents/{public_id}", self._endpoint(self._incident), methods=["GET"]),
            *self.site.static_routes(),
        ]

    # -- serving ----------------------------------------------------------------------

    def _endpoint(self, draw: Draw) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            params = dict(request.path_params)
            return await run_in_threadpool(
                self._answer, request.url.path, draw, params, request.headers.get("if-none-match")
            )

        return endpoint

    def _answer(
        self,
        path: str,
        draw: Draw,
        params: dict[str, str],
        asked: str | None,
    ) -> Response:
        now = self.clock()
        with self.db.begin() as session:
            version = reading.version(session, self.page, now.astimezone(UTC).date())
            key = (path, version)
            drawn = self._drawn.get(key)
            if drawn is None:
                drawn = draw(_Asked(session, now, version, params))
                self._drawn.put(key, drawn)
        status, body, media = drawn
        etag = f'"{version}"'
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if status == 200 and asked and etag in [t.strip() for t in asked.split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(body, status_code=status, media_type=media, headers=headers)

    # -- the pages --------------------------------------------------------------------

    def _snapshot(self, asked: _Asked) -> reading.Snapshot:
        """The version's snapshot, drawn once for /status and /status.json; the days
        before today are read once a day."""
        with self._lock:
            held, past = self._shot, self._past
        if held is not None and held[0] == asked.version:
            return held[1]
        if past is None or past.today != asked.now.astimezone(UTC).date():
            past = reading.past_days(asked.session, asked.now)
        shot = reading.snapshot(asked.session, self.page, asked.now, past)
        with self._lock:
            self._past, self._shot = past, (asked.version, shot)
        return shot

    def _front(self, asked: _Asked) -> Drawn:
        shot = self._snapshot(asked)
        html = self.site.render("status.html", shot=shot, page=self.page, now=asked.now)
        return 200, html.encode(), "text/html; charset=utf-8"

    def _incident(self, asked: _Asked) -> Drawn:
        public_id = asked.params.get("public_id", "")
        found = (
            reading.story(asked.session, public_id)
            if len(public_id) <= PUBLIC_ID_MAX and public_id.isalnum()
            else None
        )
        if found is None:
            html = self.site.render(
                "status_missing.html", page=self.page, public_id=public_id[:PUBLIC_ID_MAX]
            )
            return 404, html.encode(), "text/html; charset=utf-8"
        names = {c.key: c.name for c in self.page.components}
        html = self.site.render("status_incident.html", story=found, page=self.page, names=names)
        return 200, html.encode(), "text/html; charset=utf-8"

    def _summary(self, asked: _Asked) -> Drawn:
        shot = self._snapshot(asked)
        body = json.dumps(reading.summary(shot, self.page_id), ensure_ascii=False)
        return 200, body.encode(), "application/json"

    def _feed(self, asked: _Asked) -> Drawn:
        entries = reading.feed(asked.session)
        return 200, atom(self.page, entries, asked.now), "application/atom+xml; charset=utf-8"


def atom(page: StatusPage, entries: list[reading.Entry], now: datetime) -> bytes:
    """An Atom feed of the public updates (ElementTree escapes every text)."""
    ns = "http://www.w3.org/2005/Atom"
    base = page.url or ""
    feed = ET.Element("feed", xmlns=ns)
    ET.SubElement(feed, "id").text = f"{base}/status" if base else "urn:incidentbot:status"
    ET.SubElement(feed, "title").text = page.name
    newest = entries[0].update.published_at if entries else None
    ET.SubElement(feed, "updated").text = _iso(newest or now)
    ET.SubElement(feed, "link", rel="alternate", href=f"{base}/status")
    ET.SubElement(feed, "link", rel="self", href=f"{base}/status/feed.atom")
    author = ET.SubElement(feed, "author")
    ET.SubElement(author, "name").text = page.name
    for entry in entries:
        item = ET.SubElement(feed, "entry")
        ET.SubElement(
            item, "id"
        ).text = f"urn:incidentbot:status:{entry.public_id}:{entry.update.id}"
        ET.SubElement(item, "title").text = f"{entry.title}: {entry.update.status.label}"
        ET.SubElement(item, "updated").text = _iso(entry.update.published_at)
        ET.SubElement(
            item, "link", rel="alternate", href=f"{base}/status/incidents/{entry.public_id}"
        )
        ET.SubElement(item, "content", type="text").text = entry.update.body
    written: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return written


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
