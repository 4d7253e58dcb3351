"""Sign in with Slack, as the local Slack answers it: Slack's discovery document, the
authorize page (a person of the workspace is picked and allows), the token exchange, the
user's profile and the keys the ID tokens are signed with (RS256, a key made at start).

Slack's rules, as its documentation states them: the client must be known and send its
secret (in the form or as basic auth), the redirect URI must be the one registered and
the one the authorize step was given, a code is used once and lasts ten minutes, and
refusals come as ``{"ok": false, "error": ...}``. Tests may make the next ID token lie
(``next_claims``) or be signed with a key Slack does not publish (``sign_next_with_stranger``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from bot.sandbox.acting import TEAM

CODE_SECONDS = 600
TOKEN_SECONDS = 3600
SCOPES = {"openid", "email", "profile"}
TEAM_NAME = "Sandbox"


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    redirect_uri: str


@dataclass(frozen=True)
class Grant:
    client_id: str
    user: str
    redirect_uri: str
    nonce: str | None
    scope: frozenset[str]
    until: float


class Refused(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class SignInWithSlack:
    def __init__(
        self, base_url: Callable[[], str], users: Callable[[], Mapping[str, dict[str, Any]]]
    ) -> None:
        self.base_url = base_url
        self.users = users
        kid = "standin-" + secrets.token_hex(4)
        self.key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"}, private=True)
        # Another key under the same name: a token it signs must not check out.
        self.stranger = RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)
        self.clients: dict[str, Client] = {}
        self._grants: dict[str, Grant] = {}
        self._tokens: dict[str, str] = {}  # access token -> user
        self._lock = threading.Lock()
        self.next_claims: dict[str, Any] = {}  # merged into the next ID token (tests)
        self.sign_next_with_stranger = False

    def register(self, client_id: str, secret: str, redirect_uri: str) -> None:
        with self._lock:
            self.clients[client_id] = Client(client_id, secret, redirect_uri)

    # -- the documents -----------------------------------------------------------------
    def discovery(self) -> dict[str, Any]:
        base = self.base_url()
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/openid/connect/authorize",
            "token_endpoint": f"{base}/api/openid.connect.token",
            "userinfo_endpoint": f"{base}/api/openid.connect.userInfo",
            "jwks_uri": f"{base}/openid/connect/keys",
            "scopes_supported": sorted(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "auth_time", "iss"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    def keys(self) -> dict[str, Any]:
        return dict(KeySet([self.key]).as_dict(private=False))

    # -- the authorize page ------------------------------------------------------------
    def authorize(self, query: Mapping[str, str]) -> tuple[int, str, str | None]:
        """The page that asks who signs in: (status, HTML, or a redirect's location)."""
        client = self.clients.get(query.get("client_id", ""))
        if client is None:
            return (
                400,
                _page("Something went wrong", "invalid_client_id: this app is not known."),
                None,
            )
        if query.get("redirect_uri") != client.redirect_uri:
            return (
                400,
                _page(
                    "Something went wrong", "bad_redirect_uri: it is not one the app registered."
                ),
                None,
            )
        state = query.get("state", "")
        if query.get("response_type") != "code":
            return (
                302,
                "",
                _back(client.redirect_uri, error="unsupported_response_type", state=state),
            )
        scope = set(query.get("scope", "").split())
        if "openid" not in scope or not scope <= SCOPES:
            return 302, "", _back(client.redirect_uri, error="invalid_scope", state=state)
        people = [u for u in self.users().values() if not u.get("is_bot") and not u.get("deleted")]
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(query.get(k, ""))}">'
            for k in ("client_id", "redirect_uri", "state", "nonce", "scope")
        )
        choices = "".join(
            f'<label><input type="radio" name="user" value="{html.escape(u["id"])}"'
            f"{' checked' if i == 0 else ''}> {html.escape(_shown(u))}</label><br>"
            for i, u in enumerate(sorted(people, key=lambda u: u["id"]))
        )
        body = (
            f'<form method="post" action="/openid/connect/authorize">{hidden}'
            f"<p>Sign in to {TEAM_NAME} as:</p>{choices}"
            '<button type="submit" name="answer" value="allow">Allow</button> '
            '<button type="submit" name="answer" value="cancel">Cancel</button></form>'
        )
        return 200, _page("Sign in to the app with Slack", body), None

    def allow(self, form: Mapping[str, str]) -> tuple[int, str, str | None]:
        client = self.clients.get(form.get("client_id", ""))
        if client is None or form.get("redirect_uri") != client.redirect_uri:
            return 400, _page("Something went wrong", "invalid_client_id"), None
        state = form.get("state", "")
        if form.get("answer") != "allow":
            return 302, "", _back(client.redirect_uri, error="access_denied", state=state)
        user = form.get("user", "")
        if user not in self.users():
            return 400, _page("Something went wrong", "user_not_found"), None
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = Grant(
                client.client_id,
                user,
                client.redirect_uri,
                form.get("nonce") or None,
                frozenset(form.get("scope", "").split()),
                time.time() + CODE_SECONDS,
            )
        return 302, "", _back(client.redirect_uri, code=code, state=state)

    # -- the Web API methods -----------------------------------------------------------
    def token(self, args: Mapping[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        client_id, secret = str(args.get("client_id") or ""), str(args.get("client_secret") or "")
        basic = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if basic.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except ValueError:
                raise Refused("invalid_arguments") from None
        client = self.clients.get(client_id)
        if client is None:
            raise Refused("invalid_client_id")
        if not secrets.compare_digest(client.secret, secret):
            raise Refused("bad_client_secret")
        if args.get("grant_type", "authorization_code") != "authorization_code":
            raise Refused("unsupported_grant_type")
        with self._lock:
            grant = self._grants.pop(str(args.get("code") or ""), None)
        if grant is None or grant.client_id != client_id:
            raise Refused("invalid_code")
        if grant.until < time.time():
            raise Refused("code_expired")
        if args.get("redirect_uri") != grant.redirect_uri:
            raise Refused("bad_redirect_uri")
        access = "xoxp-" + secrets.token_hex(16)
        with self._lock:
            self._tokens[access] = grant.user
        claims = self._claims(grant, access)
        with self._lock:
            claims.update(self.next_claims)
            self.next_claims = {}
            stranger, self.sign_next_with_stranger = self.sign_next_with_stranger, False
        key = self.stranger if stranger else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)
        return {"access_token": access, "token_type": "Bearer", "id_token": id_token}

    def userinfo(self, token: str) -> dict[str, Any]:
        user = self._tokens.get(token)
        if user is None:
            raise Refused("invalid_auth")
        profile = self.users()[user]
        return {"sub": user, **self._profile(profile)}

    def _claims(self, grant: Grant, access: str) -> dict[str, Any]:
        now = int(time.time())
        digest = hashlib.sha256(access.encode()).digest()
        claims: dict[str, Any] = {
            "iss": self.base_url(),
            "sub": grant.user,
            "aud": grant.client_id,
            "exp": now + TOKEN_SECONDS,
            "iat": now,
            "auth_time": now,
            "at_hash": base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode(),
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        claims.update(self._profile(self.users()[grant.user]))
        return claims

    def _profile(self, user: Mapping[str, Any]) -> dict[str, Any]:
        profile = user.get("profile") or {}
        return {
            "https://slack.com/user_id": user["id"],
            "https://slack.com/team_id": TEAM,
            "https://slack.com/team_name": TEAM_NAME,
            "email": profile.get("email") or f"{user['name']}@sandbox.example",
            "email_verified": True,
            "name": profile.get("display_name") or user["name"],
            "locale": "en-US",
        }


def _shown(user: Mapping[str, Any]) -> str:
    return str(user["profile"].get("display_name") or user["name"])


def _back(uri: str, **params: str) -> str:
    joiner = "&" if "?" in uri else "?"
    return uri + joiner + urlencode({k: v for k, v in params.items() if v})


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
