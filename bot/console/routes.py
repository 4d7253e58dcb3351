"""The console's routes: who is looking (``signin``), what they may read (the permission
policy, through ``people``), and the pages drawn from ``listing``, ``story`` and the
review. Database and Slack work runs in a worker thread, never on the event loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol
from urllib.parse import urlencode

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.config import WEB_SETTINGS, Settings
from bot.console import listing, story
from bot.console.signin import SignIn, Viewer
from bot.console.site import console_site
from bot.documents import postmortem
from bot.documents.templating import BrokenTemplate, render_document, spoken_duration
from bot.incidents.categories import FAILURE_CATEGORIES
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.notes import people
from bot.incidents.permissions import Reader
from bot.review import charts as drawing
from bot.review import figures, render
from bot.review.period import Period, choose
from bot.store.db import Database
from bot.store.models import utcnow
from bot.web.sites import Site

REVIEWS_KEPT = 4
REVIEW_FRESH = 60.0  # seconds a computed review (and its charts) is reused


class People(Protocol):
    """What Slack says of the people reading (``bot.slack.webapi.readers.SlackReaders``)."""

    def reader(self, user: str) -> Reader: ...

    def names(self, users: Iterable[str]) -> dict[str, str]: ...

    def channel_url(self, channel_id: str) -> str: ...


def markdown(text: str) -> Markup:
    """Our Markdown documents as HTML: raw HTML in them is shown as text, never run."""
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    parser.core.ruler.push("aligned_by_class", _aligned_by_class)
    return Markup(parser.render(text))


def _aligned_by_class(state: StateCore) -> None:
    """A table column's alignment as a class (``align-right``), not a ``style=`` attribute:
    the pages' Content-Security-Policy lets no inline style apply, which left the review's
    numbers unaligned (and one console error per cell)."""
    for token in state.tokens:
        style = token.attrs.get("style") if token.attrs else None
        if isinstance(style, str) and style.startswith("text-align:"):
            del token.attrs["style"]
            token.attrSet("class", "align-" + style.removeprefix("text-align:").strip())


@dataclass
class _KeptReview:
    at: float
    review: figures.Review
    charts: dict[str, bytes]


class Console:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        people: People,
        signin: SignIn,
        *,
        clock: Callable[[], datetime] = utcnow,
        site: Site | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.people = people
        self.signin = signin
        self.clock = clock
        self.site = site or console_site()
        self.site.env.filters["duration"] = lambda d: spoken_duration(d) if d is not None else "—"
        self.site.env.filters["when"] = _when
        self._reviews: dict[tuple[str, bool], _KeptReview] = {}
        self._lock = threading.Lock()
        self._model_list: tuple[float, list[str]] | None = None

    # -- routes ----------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        mw = self.signin.middleware()
        pages: list[tuple[str, Callable[..., Any]]] = [
            ("/incidents", self._list),
            ("/incidents/{number}", self._incident),
            ("/incidents/{number}/postmortem", self._postmortem),
            ("/incidents/{number}/postmortem.{fmt}", self._download),
            ("/incidents/{number}/postmortem-chart.png", self._postmortem_chart),
            ("/incidents/{number}/drift/{event}.png", self._drift_chart),
            ("/incidents/{number}/fairness/{event}.png", self._fairness_chart),
            ("/review", self._review),
            ("/review.csv", self._review_csv),
            ("/review/charts/{name}.png", self._review_chart),
        ]
        return [
            *self.signin.routes(),
            *(
                Route(path, self._signed_in(page), methods=["GET"], middleware=mw)
                for path, page in pages
            ),
            *self.site.static_routes(),
        ]

    def _signed_in(self, page: Callable[[Request, Viewer], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            viewer = await self.signin.viewer(request)
            if viewer is None:
                return RedirectResponse(self.signin.sign_in_at(request), status_code=303)
            try:
                return await page(request, viewer)  # type: ignore[no-any-return]
            except story.Unknown as missing:
                return self._problem(404, "Not found", str(missing), viewer)
            except listing.PastTheEnd as past:
                return self._problem(404, "No such page", str(past), viewer)
            except story.Withheld as withheld:
                return self._problem(403, "A private incident", str(withheld), viewer)
            except InvalidInput as bad:
                return self._problem(400, "Cannot show that", str(bad), viewer)

        return endpoint

    def _problem(self, status: int, title: str, sentence: str, viewer: Viewer | None) -> Response:
        return self.site.page(
            "problem.html",
            status,
            title=title,
            sentence=sentence,
            viewer=viewer,
            viewer_name=self._name_of(viewer) if viewer else None,
            leave=self.signin.leave,
        )

    def _page(self, name: str, viewer: Viewer, **context: Any) -> Response:
        return self.site.page(
            name,
            viewer=viewer,
            viewer_name=self._name_of(viewer),
            leave=self.signin.leave,
            **context,
        )

    def _name_of(self, viewer: Viewer) -> str:
        return viewer.name or self.people.names([viewer.user]).get(viewer.user) or viewer.user

    # -- /incidents ------------------------------------------------------------------
    async def _list(self, request: Request, viewer: Viewer) -> Response:
        filters = listing.parse(request.query_params)

        def work() -> tuple[listing.Listing, list[str], dict[str, str]]:
            reader = self.people.reader(viewer.user)
            with self.db.begin() as session:
                found = listing.read(session, filters, reader)
                models = self._models(session)
                session.expunge_all()
            return found, models, self.people.names(found.people)

        found, models, names = await run_in_threadpool(work)
        return self._page(
            "list.html",
            viewer,
            filters=filters,
            found=found,
            names=names,
            models=models,
            statuses=listing.STATUSES,
            severities=listing.SEVERITIES,
            categories=FAILURE_CATEGORIES,
            found_by=listing.FOUND,
            drills=listing.DRILLS,
            url=lambda **changed: _url("/incidents", filters.query(**changed)),
        )

    def _models(self, session: Session) -> list[str]:
        """The model filter's choices, read at most once a minute (a scan of every incident)."""
        with self._lock:
            kept = self._model_list
        if kept is not None and time.monotonic() - kept[0] < REVIEW_FRESH:
            return kept[1]
        models = listing.models(session)
        with self._lock:
            self._model_list = (time.monotonic(), models)
        return models

    # -- /incidents/<n> --------------------------------------------------------------
    async def _incident(self, request: Request, viewer: Viewer) -> Response:
        number = story.number_of(request.path_params["number"])
        kind = request.query_params.get("kind", "")
        page = _page_number(request.query_params.get("page", "1"))

        def work() -> tuple[story.Story, dict[str, str]]:
            reader = self.people.reader(viewer.user)
            with self.db.begin() as session:
                told = story.read(
                    session,
                    number,
                    reader,
                    kind=kind,
                    page=page,
                    reporting=self.settings.reporting.on,
                    now=self.clock(),
                )
                session.expunge_all()
            names = self.people.names(told.people)
            for entry in told.timeline + told.page_events:
                entry["words"] = story.words(entry, names)
            return told, names

        told, names = await run_in_threadpool(work)
        incident = told.incident
        channel = self.people.channel_url(incident.channel_id) if incident.channel_id else None
        return self._page(
            "incident.html",
            viewer,
            told=told,
            incident=incident,
            names=names,
            kinds=story.KINDS,
            channel_url=channel,
            url=lambda **q: _url(f"/incidents/{number}", {k: str(v) for k, v in q.items() if v}),
        )

    def _document_context(self, number: int, viewer: Viewer) -> dict[str, Any]:
        """The post-mortem's data, read for a person allowed to read the incident."""
        reader = self.people.reader(viewer.user)
        with self.db.begin() as session:
            named = people(session, story.find(session, number, reader))
        names = self.people.names(named)  # Slack is asked outside any transaction
        with self.db.begin() as session:
            incident = story.find(session, number, reader)
            return postmortem.assemble(
                session, incident, names, self.clock(), awareness=self.settings.reporting.on
            )

    async def _postmortem(self, request: Request, viewer: Viewer) -> Response:
        number = story.number_of(request.path_params["number"])

        def work() -> tuple[dict[str, Any], str]:
            context = self._document_context(number, viewer)
            document = postmortem.render(context, "md", self.settings.templates_dir)
            return context, document.text

        try:
            context, text = await run_in_threadpool(work)
        except postmortem.PostmortemError as broken:
            return self._problem(500, "The post-mortem cannot be drawn", str(broken), viewer)
        return self._page(
            "postmortem.html",
            viewer,
            number=number,
            facts=context["incident"],
            draft=context["draft"],
            body=markdown(text),
        )

    async def _download(self, request: Request, viewer: Viewer) -> Response:
        number = story.number_of(request.path_params["number"])
        fmt = request.path_params["fmt"]
        if fmt not in postmortem.FORMATS:
            raise story.Unknown(f"The post-mortem downloads as .md or .html, not .{fmt[:10]}.")

        def work() -> postmortem.Document:
            context = self._document_context(number, viewer)
            return postmortem.produce_from(context, fmt, self.settings.templates_dir)[0]

        try:
            document = await run_in_threadpool(work)
        except postmortem.PostmortemError as broken:
            return self._problem(500, "The post-mortem cannot be drawn", str(broken), viewer)
        kind = "text/markdown" if fmt == "md" else "text/html"
        return Response(
            document.text,
            media_type=f"{kind}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
        )

    async def _postmortem_chart(self, request: Request, viewer: Viewer) -> Response:
        number = story.number_of(request.path_params["number"])

        def work() -> bytes:
            return postmortem.chart(self._document_context(number, viewer))

        return _png(await run_in_threadpool(work))

    async def _drift_chart(self, request: Request, viewer: Viewer) -> Response:
        number = story.number_of(request.path_params["number"])
        event = _page_number(request.path_params["event"])

        def work() -> bytes:
            from bot.documents.plotting import drift_scores_png

            reader = self.people.reader(viewer.user)
            with self.db.begin() as session:
                finding = story.finding(session, number, event, reader)
            return drift_scores_png(finding["columns"], finding["verdict"])

        return _png(await run_in_threadpool(work))

    async def _fairness_chart(self, request: Request, viewer: Viewer) -> Response:
        number = story.number_of(request.path_params["number"])
        event = _page_number(request.path_params["event"])

        def work() -> bytes:
            from bot.documents.plotting import fairness_png

            reader = self.people.reader(viewer.user)
            with self.db.begin() as session:
                finding = story.finding(session, number, event, reader, EventKind.FAIRNESS_FOUND)
            return fairness_png(finding["data"])

        return _png(await run_in_threadpool(work))

    # -- /review ---------------------------------------------------------------------
    def _period(self, request: Request) -> tuple[Period, bool, dict[str, str]]:
        q = request.query_params
        asked = {k: q.get(k, "").strip() for k in ("quarter", "from", "to", "drills")}
        if asked["drills"] not in ("", "include"):
            raise InvalidInput("Drills are left out of the review, or counted with drills=include.")
        period = choose(
            quarter=asked["quarter"] or None,
            since=asked["from"] or None,
            until=asked["to"] or None,
            today=self.clock().date(),
        )
        return period, asked["drills"] == "include", {k: v for k, v in asked.items() if v}

    def _kept_review(self, period: Period, drills: bool) -> _KeptReview:
        key = (f"{period.start.isoformat()}/{period.end.isoformat()}/{period.label}", drills)
        with self._lock:
            kept = self._reviews.get(key)
        if kept and time.monotonic() - kept.at < REVIEW_FRESH:
            return kept
        review = figures.make(
            self.db, period, self.settings.status_update_every, self.clock(), include_drills=drills
        )
        charts = drawing.all_charts(review.incidents, review.period.start, review.period.end)
        kept = _KeptReview(time.monotonic(), review, charts)
        with self._lock:
            self._reviews[key] = kept
            while len(self._reviews) > REVIEWS_KEPT:
                self._reviews.pop(next(iter(self._reviews)))
        return kept

    async def _review(self, request: Request, viewer: Viewer) -> Response:
        period, drills, asked = self._period(request)

        def work() -> str:
            kept = self._kept_review(period, drills)
            data = render.document_data(kept.review)
            data["charts"] = {
                name: _url(f"/review/charts/{name}.png", asked) for name in kept.charts
            }
            return render_document(
                self.settings.templates_dir, "review/report.md.j2", data, html=False, what="review"
            )

        try:
            text = await run_in_threadpool(work)
        except BrokenTemplate as broken:
            return self._problem(500, "The review cannot be drawn", str(broken), viewer)
        return self._page(
            "review.html",
            viewer,
            period=period,
            asked=asked,
            drills=drills,
            body=markdown(text),
            csv_url=_url("/review.csv", asked),
            today=self.clock().date(),
            quarters=_quarters_offered(self.clock().date(), period),
        )

    async def _review_csv(self, request: Request, viewer: Viewer) -> Response:
        period, drills, _ = self._period(request)
        kept = await run_in_threadpool(self._kept_review, period, drills)
        name = render.chart_filename(kept.review, "incidents").removesuffix(".png") + ".csv"
        return Response(
            render.incident_log(kept.review.incidents),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _review_chart(self, request: Request, viewer: Viewer) -> Response:
        period, drills, _ = self._period(request)
        kept = await run_in_threadpool(self._kept_review, period, drills)
        png = kept.charts.get(request.path_params["name"])
        if png is None:
            raise story.Unknown("The review has no such chart for this period.")
        return _png(png)


def console_off() -> list[BaseRoute]:
    """Without its settings the console is off; its pages say how to turn it on (404: not
    here, which is not a failure to page anyone about)."""
    site = console_site()

    async def off(_: Request) -> Response:
        return site.page("off.html", 404, settings=WEB_SETTINGS, viewer=None)

    return [
        Route("/incidents", off, methods=["GET"]),
        Route("/incidents/{rest:path}", off, methods=["GET"]),
        Route("/review", off, methods=["GET"]),
        Route("/review.csv", off, methods=["GET"]),
        Route("/signin", off, methods=["GET"]),
        *site.static_routes(),
    ]


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


def _page_number(text: str) -> int:
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise InvalidInput(f"“{text[:20]}” is not a page number (1, 2, …).")
    return int(text)


def _url(path: str, query: Mapping[str, str]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


def _when(moment: datetime | date | None) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return moment.isoformat()


def _quarters_offered(today: date, shown: Period) -> list[str]:
    """The recent quarters, and the quarter shown if it is older: the select shows it."""
    recent = _recent_quarters(today)
    if shown.options().startswith("--quarter") and shown.label not in recent:
        recent.append(shown.label)
    return recent


def _recent_quarters(today: date) -> list[str]:
    year, quarter = today.year, (today.month - 1) // 3 + 1
    found = []
    for _ in range(6):
        found.append(f"{year}Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return found
