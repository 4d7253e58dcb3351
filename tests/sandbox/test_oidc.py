"""The local Slack's Sign in with Slack keeps Slack's rules: known clients, registered
redirect URIs, the client's secret, one use per code, and ID tokens signed with the keys
it publishes."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from bot.sandbox import SlackStandIn

REDIRECT = "http://127.0.0.1:9/signin/callback"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture
def slack() -> SlackStandIn:  # type: ignore[misc]
    with SlackStandIn() as standin:
        standin.add_user("U0ALICE01", "alice")
        standin.oidc.register("app-1", "s3cret", REDIRECT)
        yield standin


def code_for(slack: SlackStandIn, nonce: str = "n-1") -> str:
    query = {
        "client_id": "app-1",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid email profile",
        "state": "st",
        "nonce": nonce,
    }
    page = httpx.get(slack.base_url + "/openid/connect/authorize", params=query)
    fields = dict(_HIDDEN.findall(page.text))
    back = httpx.post(
        slack.base_url + "/openid/connect/authorize",
        data={**fields, "user": "U0ALICE01", "answer": "allow"},
    )
    answer = parse_qs(urlsplit(back.headers["location"]).query)
    assert answer["state"] == ["st"]
    return answer["code"][0]


def exchange(slack: SlackStandIn, **form: str) -> dict[str, object]:
    return dict(httpx.post(slack.api_url + "openid.connect.token", data=form).json())


def test_the_discovery_document_and_a_token_that_checks_against_its_keys(
    slack: SlackStandIn,
) -> None:
    found = httpx.get(slack.base_url + "/.well-known/openid-configuration").json()
    assert found["issuer"] == slack.base_url
    assert found["token_endpoint"] == slack.api_url + "openid.connect.token"
    answer = exchange(
        slack,
        client_id="app-1",
        client_secret="s3cret",
        code=code_for(slack),
        redirect_uri=REDIRECT,
        grant_type="authorization_code",
    )
    assert answer["ok"] is True and str(answer["access_token"]).startswith("xoxp-")
    keys = KeySet.import_key_set(httpx.get(found["jwks_uri"]).json())
    claims = jwt.decode(str(answer["id_token"]), keys).claims
    assert claims["aud"] == "app-1" and claims["nonce"] == "n-1" and claims["sub"] == "U0ALICE01"
    assert claims["https://slack.com/team_id"] == "T0STANDIN"
    me = httpx.post(
        slack.api_url + "openid.connect.userInfo",
        headers={"Authorization": f"Bearer {answer['access_token']}"},
    ).json()
    assert me["ok"] and me["name"] == "alice"


def test_slacks_refusals(slack: SlackStandIn) -> None:
    unknown = httpx.get(
        slack.base_url + "/openid/connect/authorize",
        params={"client_id": "nobody", "redirect_uri": REDIRECT},
    )
    assert unknown.status_code == 400 and "invalid_client_id" in unknown.text
    elsewhere = httpx.get(
        slack.base_url + "/openid/connect/authorize",
        params={"client_id": "app-1", "redirect_uri": "https://evil.example/cb"},
    )
    assert elsewhere.status_code == 400 and "bad_redirect_uri" in elsewhere.text
    code = code_for(slack)
    assert (
        exchange(slack, client_id="app-1", client_secret="guess", code=code, redirect_uri=REDIRECT)[
            "error"
        ]
        == "bad_client_secret"
    )
    basic = base64.b64encode(b"app-1:s3cret").decode()
    ok = httpx.post(
        slack.api_url + "openid.connect.token",
        headers={"Authorization": f"Basic {basic}"},
        data={"code": code, "redirect_uri": REDIRECT},
    ).json()
    assert ok["ok"] is True
    assert (
        exchange(
            slack, client_id="app-1", client_secret="s3cret", code=code, redirect_uri=REDIRECT
        )["error"]
        == "invalid_code"
    )  # used once
    assert (
        exchange(
            slack,
            client_id="app-1",
            client_secret="s3cret",
            code=code_for(slack),
            redirect_uri="http://127.0.0.1:9/other",
        )["error"]
        == "bad_redirect_uri"
    )
