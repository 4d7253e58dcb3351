"""The web console in Chromium: Sign in with Slack through the local Slack's OpenID
Connect pages, the list and its filters, an incident's timeline and post-mortem, a
private incident hidden from a non-member and shown to its people, and titles that
try to be markup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bot.incidents.declare import Declaration, declare
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.store.db import Database
from tests.browser.conftest import not_blank
from tests.console.signing_in import console_bot, seeded
from tests.review.story import HOSTILE, SECRET
from tests.support import BotProcess, fresh_database

# One worker, one Chromium for these three (each worker that runs one launches its own).
pytestmark = pytest.mark.xdist_group("browser-console")

SCRIPT_TITLE = "<script>document.title='owned'</script> recall drop"


@pytest.fixture
def database_url() -> Iterator[str]:
    """One database for the browser (SQLite); the console's SQL is tested on both elsewhere
    (tests/console, tests/e2e/test_console.py)."""
    with fresh_database("sqlite") as url:
        yield url


@pytest.fixture
def console(slack: SlackStandIn, database_url: str) -> Iterator[tuple[BotProcess, dict[str, int]]]:
    with console_bot(slack, database_url) as bot:
        ids = seeded(database_url)
        db = Database(database_url)
        with db.begin() as session:
            ids["S"] = declare(
                session,
                Declaration(title=SCRIPT_TITLE, severity=Severity.SEV2, declared_by="U0ALICE01"),
            ).id
        db.dispose()
        yield bot, ids


def record_fairness_finding(database_url: str, incident_id: int) -> str:
    """A fairness finding on the incident's timeline, as the flow keeps it; its verdict."""
    from bot.app.fairness import kept
    from bot.diagnosis.fairness import Request, analyse
    from bot.incidents import timeline
    from bot.store.models import Incident
    from tests.diagnosis.fairness_data import windows

    reference, current = windows(3000, 3, seed=61, shifted=1)
    facts = analyse(reference, current, Request((("group",),), "predicted", "label"))
    db = Database(database_url)
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        timeline.record(
            session,
            incident,
            "fairness_found",
            facts["verdict"],
            actor="U0BOB0002",
            **kept(facts, "march.csv", "today.parquet"),
        )
    db.dispose()
    return str(facts["verdict"])


def sign_in(page: Page, bot: BotProcess, name: str, start: str = "/incidents") -> None:
    page.goto(bot.url + start)
    expect(page.get_by_role("heading", name="Incidents, looked back on")).to_be_visible()
    page.get_by_role("link", name="Sign in with Slack").click()
    expect(page.get_by_text("Sign in to Sandbox as:")).to_be_visible()  # Slack's page
    page.get_by_label(name).check()
    page.get_by_role("button", name="Allow").click()
    expect(page.locator("#viewer")).to_have_text(name)


def test_sign_in_filter_open_read_and_sign_out(
    console: tuple[BotProcess, dict[str, int]], page: Page, tmp_path: Path, database_url: str
) -> None:
    bot, ids = console
    verdict = record_fairness_finding(database_url, ids["A"])
    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    sign_in(page, bot, "alice")
    expect(page.locator("#count")).to_have_text("8 incidents")
    # What people and alerts wrote is text: no script runs, no image loads its onerror.
    expect(page.get_by_text(SCRIPT_TITLE)).to_be_visible()
    expect(page.get_by_text(HOSTILE)).to_be_visible()
    assert page.title() == "Incidents · incidentbot" and alerts == []
    png = page.screenshot(full_page=True)
    (tmp_path / "console-list.png").write_bytes(png)
    not_blank(png)

    page.get_by_label("Severity").select_option("sev1")
    page.get_by_label("Drills").select_option("no")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#count")).to_have_text("3 incidents")
    page.get_by_label("Search").fill("spain")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Fraud model blocks card payments in Spain").click()
    expect(page.locator("#title")).to_have_text("Fraud model blocks card payments in Spain")
    page.goto(f"{bot.url}/incidents/{ids['A']}")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    page.get_by_role("link", name="Updates (4)").click()
    expect(page.locator("li.event")).to_have_count(4)
    expect(page.locator("li.event").first).to_contain_text("Status update")
    expect(page.get_by_role("heading", name="Containment")).to_be_visible()
    # The fairness finding, with its chart drawn again from the stored figures.
    figure = page.locator("section.fairness figure")
    expect(figure).to_contain_text(verdict)
    expect(figure).to_contain_text("march.csv against today.parquet; by group: parity ratio")
    chart = figure.get_by_role("img")
    expect(chart).to_have_attribute(
        "alt", f"Selection rate by group, reference against current: {verdict}"
    )
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 600", arg=chart.element_handle()
    )
    not_blank(figure.screenshot())
    (tmp_path / "console-incident.png").write_bytes(page.screenshot(full_page=True))
    page.get_by_role("link", name="Read the post-mortem").click()
    expect(page.locator("#postmortem h1")).to_contain_text("INC-1")
    expect(page.locator("#postmortem")).to_contain_text("Alert on precision")
    with page.expect_download() as download:
        page.get_by_role("link", name="Markdown").click()
    assert download.value.suggested_filename == f"postmortem-INC-{ids['A']}.md"
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(bot.url + "/review")
    expect(page.get_by_role("link", name="Sign in with Slack")).to_be_visible()


def test_a_private_incident_is_hidden_from_a_non_member_and_shown_to_its_declarer(
    console: tuple[BotProcess, dict[str, int]], page: Page
) -> None:
    bot, ids = console
    sign_in(page, bot, "alice")
    row = page.locator(f'tr[data-number="{ids["D"]}"]')
    expect(row).to_contain_text("A private SEV3 incident")
    expect(page.get_by_text(SECRET)).to_have_count(0)
    page.goto(f"{bot.url}/incidents/{ids['D']}")
    expect(page.get_by_role("heading", name="A private incident")).to_be_visible()
    expect(page.get_by_text(SECRET)).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, bot, "bob", f"/incidents/{ids['D']}")
    expect(page.locator("#title")).to_have_text(SECRET)


def test_the_review_in_the_browser(
    console: tuple[BotProcess, dict[str, int]], page: Page, tmp_path: Path
) -> None:
    bot, _ = console
    sign_in(page, bot, "cara", "/review?quarter=2026Q3")
    expect(page.locator("#review")).to_contain_text("2026Q3")
    images = page.locator("#review img")
    assert images.count() >= 1
    for i in range(images.count()):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    png = page.screenshot(full_page=True)
    (tmp_path / "console-review.png").write_bytes(png)
    not_blank(png)
