"""The web console over real HTTP: ``incidentbot serve`` with Sign in with Slack against
the local Slack's OpenID Connect endpoints, and what each person may read."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.sandbox import SlackStandIn
from tests.conftest import ALICE, BOB
from tests.console.signing_in import (
    CLIENT_ID,
    authorize,
    console_bot,
    seeded,
    signed_in,
    start,
)
from tests.review.story import HOSTILE, SECRET
from tests.support import BotProcess


@pytest.fixture
def console(slack: SlackStandIn, database_url: str):  # type: ignore[no-untyped-def]
    with console_bot(slack, database_url) as bot:
        yield bot


def test_without_its_settings_the_console_says_how_to_turn_it_on(bot: BotProcess) -> None:
    page = httpx.get(bot.url + "/incidents", timeout=10)
    assert page.status_code == 404  # not set up here (a 503 read as the bot failing)
    for name in (
        "INCIDENTBOT_WEB_CLIENT_ID",
        "INCIDENTBOT_WEB_CLIENT_SECRET",
        "INCIDENTBOT_WEB_URL",
    ):
        assert name in page.text
    assert page.headers["x-frame-options"] == "DENY"


def test_signing_in_sets_a_signed_http_only_lax_cookie_and_lists_incidents(
    console: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    seeded(database_url)
    browser = httpx.Client(base_url=console.url, timeout=20)
    location = start(browser)
    asked = parse_qs(urlsplit(location).query)
    assert asked["scope"] == ["openid email profile"] and asked["client_id"] == [CLIENT_ID]
    assert asked["team"] == ["T0STANDIN"] and asked["nonce"][0] and asked["state"][0]
    back = authorize(slack, location, BOB)
    landed = browser.get(back)
    assert landed.status_code == 303 and landed.headers["location"] == "/incidents"
    cookie = landed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    page = browser.get("/incidents")
    assert page.status_code == 200
    assert "Fraud model blocks card payments in Spain" in page.text
    assert ">bob<" in page.text  # who is signed in, by name
    # The hostile title is text, never markup.
    assert HOSTILE not in page.text and "&lt;img src=x onerror=" in page.text
    assert "content-security-policy" in page.headers
    # Signing out forgets the person, and ends the session itself: a copy of the cookie
    # taken before (another tab, a stolen one) no longer signs anyone in.
    copy = httpx.Client(base_url=console.url, timeout=20, cookies=dict(browser.cookies))
    assert copy.get("/incidents").status_code == 200
    assert browser.post("/signout").status_code == 303
    assert browser.get("/incidents").status_code == 303
    assert copy.get("/incidents").status_code == 303


def test_a_private_incident_is_read_only_by_its_people(
    console: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    ids = seeded(database_url)
    private = ids["D"]  # declared by Bob
    alice, bob = signed_in(console, slack, ALICE), signed_in(console, slack, BOB)
    listed = alice.get("/incidents").text
    assert SECRET.replace("'", "&#39;") not in listed and "A private SEV3 incident" in listed
    assert alice.get("/incidents", params={"q": "reveals"}).text.count("data-number=") == 0
    refused = alice.get(f"/incidents/{private}")
    assert refused.status_code == 403 and "private SEV3 incident" in refused.text
    assert SECRET.split()[0] not in refused.text
    for path in ("postmortem", "postmortem.md", "postmortem.html", "postmortem-chart.png"):
        assert alice.get(f"/incidents/{private}/{path}").status_code == 403
    assert bob.get(f"/incidents/{private}").status_code == 200
    assert "reveals a customer" in bob.get(f"/incidents/{private}").text
    assert bob.get("/incidents", params={"q": "reveals"}).text.count("data-number=") == 1


def test_an_incident_page_its_post_mortem_and_downloads(
    console: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    ids = seeded(database_url)
    alice = signed_in(console, slack, ALICE)
    page = alice.get(f"/incidents/{ids['A']}")
    assert page.status_code == 200
    text = page.text
    assert "Fraud model flags 40% of payments" in text and "Rollback" in text
    assert "Alert on precision" in text and "✓ done" in text  # action items
    assert "U0BOB0002" not in text and "bob" in text  # people by name, never by ID
    only_updates = alice.get(f"/incidents/{ids['A']}", params={"kind": "updates"}).text
    assert only_updates.count('class="event ') == 4
    rendered = alice.get(f"/incidents/{ids['A']}/postmortem")
    assert rendered.status_code == 200 and "<h1>" in rendered.text
    md = alice.get(f"/incidents/{ids['A']}/postmortem.md")
    assert md.headers["content-disposition"].startswith("attachment")
    assert md.text.startswith("# ") and "Fraud model flags 40% of payments" in md.text
    html = alice.get(f"/incidents/{ids['A']}/postmortem.html")
    assert "<html" in html.text.lower()
    chart = alice.get(f"/incidents/{ids['A']}/postmortem-chart.png")
    assert chart.headers["content-type"] == "image/png" and chart.content[:4] == b"\x89PNG"
    drift = _record_drift(database_url, ids["A"])
    shown = alice.get(f"/incidents/{ids['A']}").text
    assert "Drift findings" in shown and f"/drift/{drift}.png" in shown
    assert alice.get(f"/incidents/{ids['A']}/drift/{drift}.png").content[:4] == b"\x89PNG"
    assert alice.get(f"/incidents/{ids['B']}/drift/{drift}.png").status_code == 404


def _record_drift(database_url: str, incident_id: int) -> int:
    from bot.incidents import timeline
    from bot.store.db import Database
    from bot.store.models import Incident

    db = Database(database_url)
    try:
        with db.begin() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            event = timeline.record(
                session,
                incident,
                "drift_found",
                "1 of 2 columns drifted",
                verdict="1 of 2 drifted",
                reference="ref.csv",
                current="cur.csv",
                drifted=["amount"],
                tested=2,
                columns=[
                    {"column": "amount", "method": "psi", "score": 0.4, "drifted": True},
                    {"column": "age", "method": "ks", "score": 0.6, "drifted": False},
                ],
            )
            session.flush()
            return event.id
    finally:
        db.dispose()


BAD_ADDRESSES = [
    ("/incidents/999", 404, "There is no incident INC-999."),
    ("/incidents/abc", 404, "is not an incident number"),
    ("/incidents?severity=sev9", 400, "Severity “sev9” is not one of"),
    ("/incidents?status=sleeping", 400, "Status “sleeping”"),
    ("/incidents?page=40", 404, "There is no page 40"),
    ("/incidents?page=-1", 400, "is not a page number"),
    ("/incidents?from=2026-13-01", 400, "is not a date"),
    ("/incidents?q=%21%21%21", 400, "Search for words"),
    ("/incidents/1?kind=gossip", 400, "is not a kind of event"),
    ("/incidents/1?page=9", 400, "there is no page 9"),
    ("/incidents/1/postmortem.pdf", 404, "downloads as .md or .html"),
    ("/review?quarter=2026Q7", 400, "is not a quarter"),
    # Dates a calendar can hold but a review cannot: an overflow, or a period before year 1.
    ("/review?from=0001-01-01&to=9999-12-31", 400, "is outside the years the bot knows"),
    ("/review?from=0001-01-01&to=0001-01-02", 400, "is outside the years the bot knows"),
    ("/review?quarter=9999Q4", 400, "9999Q4 is outside the years a review covers"),
    ("/review?quarter=0001Q1", 400, "1Q1 is outside the years a review covers"),
    ("/incidents?to=9999-12-31", 400, "is outside the years the bot knows"),
    ("/review.csv?quarter=9999Q4", 400, "outside the years"),
]


def test_bad_addresses_get_a_page_that_says_so(
    console: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    seeded(database_url)
    alice = signed_in(console, slack, ALICE)  # one bot and one sign-in for every address
    for path, status, said in BAD_ADDRESSES:
        page = alice.get(path)
        assert page.status_code == status, (path, page.text)
        assert said in page.text and "Traceback" not in page.text, path
        assert 'id="viewer">alice<' in page.text  # who is signed in, by name, here too


def test_the_review_shows_the_same_figures_as_the_report_command(
    console: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    seeded(database_url)
    alice = signed_in(console, slack, ALICE)
    page = alice.get("/review", params={"quarter": "2026Q3"})
    assert page.status_code == 200 and "2026Q3" in page.text
    charts = [
        c for c in ("weekly", "categories", "resolve") if f"/review/charts/{c}.png" in page.text
    ]
    assert charts, "the review shows its charts"
    for name in charts:
        png = alice.get(f"/review/charts/{name}.png", params={"quarter": "2026Q3"})
        assert png.content[:4] == b"\x89PNG"
    csv = alice.get("/review.csv", params={"quarter": "2026Q3"})
    command = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--quarter", "2026Q3", "--format", "csv"],
        env={**console.env, "PYTHONPATH": ""} | {"DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert csv.text == command.stdout
    assert "attachment" in csv.headers["content-disposition"]


ID_TOKEN_LIES = [
    ({"nonce": "another-sign-in"}, "does not match this sign-in"),
    ({"aud": "someone-elses-app"}, "is for another app"),
    ({"iss": "https://evil.example"}, "does not match this sign-in"),
    ({"exp": 1_000_000}, "has expired"),
    ({"https://slack.com/team_id": "T0ELSEWHERE"}, "another Slack workspace"),
]


def test_the_callback_refuses_an_id_token_that_does_not_check_out(
    console: BotProcess, slack: SlackStandIn
) -> None:
    for lie, said in ID_TOKEN_LIES:  # each a fresh browser, on one bot
        browser = httpx.Client(base_url=console.url, timeout=20)
        back = authorize(slack, start(browser), ALICE)
        slack.oidc.next_claims = dict(lie)
        refused = browser.get(back)
        assert refused.status_code == 400, lie
        assert said in refused.text.replace("&#39;", "'"), lie
        assert browser.get("/incidents").status_code == 303  # still signed out


def test_the_callback_refuses_a_foreign_key_a_wrong_state_and_a_used_code(
    console: BotProcess, slack: SlackStandIn
) -> None:
    browser = httpx.Client(base_url=console.url, timeout=20)
    back = authorize(slack, start(browser), ALICE)
    slack.oidc.sign_next_with_stranger = True
    assert browser.get(back).status_code == 400
    # A callback this browser did not start (another's state) is refused.
    other = httpx.Client(base_url=console.url, timeout=20)
    theirs = authorize(slack, start(other), BOB)
    stolen = browser.get(theirs)
    assert stolen.status_code == 400 and "did not start here" in stolen.text
    # Declining on Slack's page says so.
    declined = browser.get(authorize(slack, start(browser), ALICE, answer="cancel"))
    assert declined.status_code == 400 and "declined" in declined.text
    # Going back to a callback already used: its state is gone.
    fine = authorize(slack, start(browser), ALICE)
    assert browser.get(fine).status_code == 303
    again = httpx.Client(base_url=console.url, timeout=20)
    assert again.get(fine).status_code == 400


def test_after_signing_in_the_person_lands_where_they_asked_never_elsewhere(
    console: BotProcess, slack: SlackStandIn, database_url: str
) -> None:
    ids = seeded(database_url)
    target = f"/incidents/{ids['B']}?kind=triage"
    assert signed_in(console, slack, ALICE, target).get(target).status_code == 200
    browser = httpx.Client(base_url=console.url, timeout=20)
    started = browser.get("/signin/start", params={"next": "//evil.example/x"})
    landed = browser.get(authorize(slack, started.headers["location"], ALICE))
    assert landed.headers["location"] == "/incidents"
