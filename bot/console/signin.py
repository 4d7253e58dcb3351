"""Who is looking at the console.

``SlackSignIn`` is Sign in with Slack (OpenID Connect, ``openid email profile``) through
authlib's generic client and Slack's discovery document: the ID token's signature
(Slack's published keys), issuer, audience, expiry and nonce are checked by authlib,
the workspace (``https://slack.com/team_id``) by us. Who signed in is a row of
``console_sessions``; the browser keeps only its random ID, in a signed session cookie
(``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the console is served over https). A
session lasts at most ``SESSION_HOURS``, and signing out ends it in the database, so a
copy of the cookie is worth nothing after that.

``SandboxSignIn`` is the sandbox's: there the viewer is the person picked on the
sandbox's Slack page, and nobody signs in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import authlib.deprecate  # noqa: F401  (its own warning filter first, so ours below wins)

with warnings.catch_warnings():
    # authlib 1.9 prefers the httpx2 package and says so on import; httpx serves it alike.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client._compat import httpx2 as transport
    from authlib.integrations.starlette_client import OAuth, OAuthError
from joserfc.errors import JoseError
from sqlalchemy import update
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.config import WebSettings
from bot.store.db import Database
from bot.store.models import ConsoleSession, utcnow
from bot.web.sites import Site

log = logging.getLogger(__name__)

SESSION_HOURS = 12
SESSION_COOKIE = "incidentbot_console"
TEAM_CLAIM = "https://slack.com/team_id"
USER_CLAIM = "https://slack.com/user_id"
WAIT_SECONDS = 10  # for each call to Slack's sign-in endpoints


@dataclass(frozen=True)
class Viewer:
    user: str
    name: str | None = None


class SignIn(Protocol):
    leave: str  # the header's button: sign out, or go back to the sandbox

    async def viewer(self, request: Request) -> Viewer | None: ...

    def routes(self) -> list[Route]: ...

    def middleware(self) -> list[Middleware]: ...

    def sign_in_at(self, request: Request) -> str: ...


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site, never another site."""
    if not target:
        return "/incidents"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/incidents"
    if "\\" in target:
        return "/incidents"
    return target


def discovery_url(slack_api_url: str) -> str:
    """Slack's discovery document sits at the root of the host its Web API is on."""
    parts = urlsplit(slack_api_url)
    return f"{parts.scheme}://{parts.netloc}/.well-known/openid-configuration"


class SlackSignIn:
    leave = "Sign out"

    def __init__(
        self, web: WebSettings, slack_api_url: str, team_id: str, site: Site, db: Database
    ) -> None:
        self.web = web
        self.db = db
        self.team_id = team_id
        self.site = site
        self.oauth = OAuth()
        self.oauth.register(
            "slack",
            client_id=web.client_id,
            client_secret=web.client_secret,
            server_metadata_url=discovery_url(slack_api_url),
            client_kwargs={"scope": "openid email profile", "timeout": WAIT_SECONDS},
        )
        # Not the client secret itself: a key of its own, derived from it.
        self.key = hashlib.sha256(
            b"incidentbot console session\0" + web.client_secret.encode()
        ).hexdigest()

    def middleware(self) -> list[Middleware]:
        return [
            Middleware(
                SessionMiddleware,
                secret_key=self.key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_HOURS * 3600,
                same_site="lax",
                https_only=self.web.secure,
            )
        ]

    async def viewer(self, request: Request) -> Viewer | None:
        """Who is looking: the session the cookie names, while it is open in the database
        (signing out closes it, wherever a copy of the cookie is) and younger than
        ``SESSION_HOURS``."""
        session_id = request.session.get("session")
        if not isinstance(session_id, str) or not session_id:
            return None
        return await run_in_threadpool(self._open_session, session_id)

    def _open_session(self, session_id: str) -> Viewer | None:
        oldest = utcnow() - timedelta(hours=SESSION_HOURS)
        with self.db.begin() as db_session:
            row = db_session.get(ConsoleSession, session_id)
            if row is None or row.ended_at is not None or row.started_at < oldest:
                return None
            return Viewer(row.user_id, row.name or None)

    def sign_in_at(self, request: Request) -> str:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return f"/signin?next={quote(target, safe='')}"

    def routes(self) -> list[Route]:
        mw = self.middleware()
        return [
            Route("/signin", self._page, methods=["GET"], middleware=mw),
            Route("/signin/start", self._start, methods=["GET"], middleware=mw),
            Route("/signin/callback", self._callback, methods=["GET"], middleware=mw),
            Route("/signout", self._signout, methods=["POST"], middleware=mw),
        ]

    async def _page(self, request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        return self.site.page(
            "signin.html",
            start=f"/signin/start?next={quote(target, safe='')}",
            signed_out=request.query_params.get("signed_out") == "1",
            viewer=None,
        )

    async def _start(self, request: Request) -> Response:
        for key in [k for k in request.session if k.startswith("_state_")]:
            del request.session[key]  # one sign-in in flight per browser
        request.session["next"] = safe_next(request.query_params.get("next"))
        try:
            return await self.oauth.slack.authorize_redirect(  # type: ignore[no-any-return]
                request, f"{self.web.url}/signin/callback", team=self.team_id
            )
        except (transport.HTTPError, OAuthError, ValueError) as problem:
            log.warning(
                "Sign in with Slack: could not read Slack's discovery document: %s", problem
            )
            return self.site.error(
                502,
                "Slack did not answer",
                "Slack's sign-in did not answer just now; try again shortly.",
            )

    async def _callback(self, request: Request) -> Response:
        if request.query_params.get("error"):
            return self._refused(
                "Slack did not sign you in: you declined, or the request was cancelled."
            )
        try:
            token = await self.oauth.slack.authorize_access_token(request)
        except OAuthError as problem:
            log.info("sign-in refused: %s", problem)
            if "state" in str(problem).lower():
                return self._refused(
                    "This sign-in did not start here, or it started in another tab or too long "
                    "ago; sign in again."
                )
            return self._refused(
                f"Slack refused the sign-in ({problem.error or 'no reason'}); sign in again."
            )
        except JoseError as problem:
            log.warning("sign-in refused: the ID token did not check out: %r", problem)
            return self._refused(
                "Slack's answer did not check out (its ID token is for another app, has expired, "
                "or does not match this sign-in); sign in again."
            )
        except transport.HTTPError as problem:
            log.warning("sign-in: Slack's token endpoint did not answer: %s", problem)
            return self.site.error(
                502, "Slack did not answer", "Slack did not answer the sign-in; try again."
            )
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        if not claims:
            return self._refused("Slack's answer carried no ID token; sign in again.")
        if claims.get(TEAM_CLAIM) != self.team_id:
            return self._refused(
                "You signed in to another Slack workspace; this console is for the workspace "
                "the bot is installed in."
            )
        user = claims.get(USER_CLAIM) or claims.get("sub")
        if not isinstance(user, str) or not user:
            return self._refused("Slack's answer did not say who you are; sign in again.")
        target = safe_next(request.session.get("next"))
        session_id = secrets.token_urlsafe(32)
        name = str(claims.get("name") or "")[:100]
        await run_in_threadpool(self._start_session, session_id, user, name)
        request.session.clear()
        request.session.update({"session": session_id})
        return RedirectResponse(target, status_code=303)

    def _start_session(self, session_id: str, user: str, name: str) -> None:
        with self.db.begin() as db_session:
            db_session.add(ConsoleSession(id=session_id, user_id=user[:32], name=name or None))

    def _refused(self, sentence: str) -> Response:
        return self.site.error(400, "Not signed in", sentence)

    async def _signout(self, request: Request) -> Response:
        session_id = request.session.get("session")
        if isinstance(session_id, str) and session_id:
            await run_in_threadpool(self._end_session, session_id)
        request.session.clear()
        return RedirectResponse("/signin?signed_out=1", status_code=303)

    def _end_session(self, session_id: str) -> None:
        with self.db.begin() as db_session:
            db_session.execute(
                update(ConsoleSession)
                .where(ConsoleSession.id == session_id, ConsoleSession.ended_at.is_(None))
                .values(ended_at=utcnow())
            )


class SandboxSignIn:
    """The sandbox's viewer: the person its Slack page has picked (a cookie it sets)."""

    leave = "Back to the sandbox"

    def __init__(self, people: frozenset[str], default: str, cookie: str) -> None:
        self.people = people
        self.default = default
        self.cookie = cookie

    def middleware(self) -> list[Middleware]:
        return []

    async def viewer(self, request: Request) -> Viewer | None:
        picked = request.cookies.get(self.cookie, "")
        return Viewer(picked if picked in self.people else self.default)

    def sign_in_at(self, request: Request) -> str:
        return "/"

    def routes(self) -> list[Route]:
        async def to_sandbox(_: Request) -> Response:
            return RedirectResponse("/", status_code=303)

        return [
            Route("/signin", to_sandbox, methods=["GET"]),
            Route("/signout", to_sandbox, methods=["POST"]),
        ]
