"""Server-rendered pages: one Jinja2 environment per site, its static files, the headers
every page carries, and pages that say what went wrong instead of a traceback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HERE = Path(__file__).parent

# Scripts and styles come from our own files only: nothing inline can run.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class Site:
    """The templates of one site (its own folder first, then the shared one) and its
    static files under ``/static/``."""

    def __init__(
        self, template_dirs: Sequence[Path], static_dirs: Sequence[Path], static_at: str = "/static"
    ) -> None:
        self.static_at = static_at
        self.env = Environment(
            loader=ChoiceLoader(
                [FileSystemLoader(str(d)) for d in [*template_dirs, HERE / "templates"]]
            ),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.static_dirs = [*static_dirs, HERE / "static"]
        self.env.globals["asset"] = self.asset

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.render(name, **context), status_code=status)

    def error(
        self,
        status: int,
        title: str,
        sentence: str,
        *,
        json: bool = False,
        back: str = "/",
        **context: Any,
    ) -> Response:
        """A page (or, for a script, a JSON body) that says what was wrong."""
        if json:
            return JSONResponse({"error": sentence}, status_code=status)
        return self.page(
            "error.html", status, title=title, sentence=sentence, code=status, back=back, **context
        )

    def static_routes(self) -> list[Mount]:
        return [
            Mount(f"{self.static_at}/{i}", app=StaticFiles(directory=str(d)))
            for i, d in enumerate(self.static_dirs)
        ]

    def asset(self, filename: str) -> str:
        """The URL of a static file, looked up in the site's folders in order."""
        for i, folder in enumerate(self.static_dirs):
            if (folder / filename).is_file():
                return f"{self.static_at}/{i}/{filename}"
        raise FileNotFoundError(filename)


def with_headers(app: ASGIApp, paths: Callable[[str], bool]) -> ASGIApp:
    """Add the security headers to every response whose path ``paths`` accepts."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not paths(scope["path"]):
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.lower().encode(), v.encode())
                    for k, v in HEADERS.items()
                    if k.lower().encode() not in present
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


Endpoint = Callable[[Request], Awaitable[Response]]
