"""What a newcomer met in the sandbox and its console, each seen in Chromium: no page
breaks its own Content-Security-Policy, the review's numbers are aligned and its select
shows the quarter shown, one Commander everywhere, the console's "Open … in Slack" keeps
the person picked, the last message's ⋯ menu inside the viewport, the update form's
whole draft in view, and charts previewed inline."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import not_blank
from tests.browser.test_sandbox import as_person, declare, type_message
from tests.sandbox.running import Sandbox

# The same worker (and Chromium) as the sandbox's other browser tests; one sandbox here.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


@pytest.fixture
def complaints(page: Page) -> Iterator[list[str]]:
    """What the browser's console said of errors (a CSP violation is one) and any
    uncaught error of the pages' scripts; the test fails unless it is empty."""
    said: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            said.append(f"{page.url}: {message.type}: {message.text}")

    page.on("console", heard)
    page.on("pageerror", lambda error: said.append(f"{page.url}: pageerror: {error}"))
    yield said
    assert said == [], "\n".join(said[:5])


SEV2_COLOUR = (0xE8, 0x59, 0x0C)  # bot.review.charts.SEVERITY_COLOURS["sev2"]


def coloured(png: bytes, colour: tuple[int, int, int]) -> int:
    """How many pixels of a PNG have (nearly) this colour."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    found = 0
    for n, rgb in image.getcolors(maxcolors=1 << 20) or []:
        assert isinstance(rgb, tuple)
        if all(abs(int(a) - b) <= 8 for a, b in zip(rgb, colour, strict=True)):
            found += n
    return found


def incident_number(page: Page) -> str:
    topic_link = page.locator(".message.pinned").first.inner_text()
    found = re.search(r"INC-(\d+)", topic_link)
    assert found, topic_link
    return found.group(1)


def test_every_page_keeps_its_content_security_policy_and_the_review_reads_right(
    page: Page, sandbox: Sandbox, complaints: list[str]
) -> None:
    as_person(page, sandbox, "Alice")
    declare(page, "Forecast model returns yesterday's numbers")
    number = incident_number(page)
    type_message(page, "/incident resolve")
    expect(page.locator(".channel-header .topic")).to_contain_text(re.compile("Resolved", re.I))

    page.goto(sandbox.url + "/incidents")
    expect(page.locator(f'tr[data-number="{number}"]')).to_be_visible()
    page.goto(f"{sandbox.url}/incidents/{number}")
    expect(page.locator("#title")).to_have_text("Forecast model returns yesterday's numbers")

    # The default review: the quarter in progress, and its select says so.
    page.goto(sandbox.url + "/review")
    heading = page.locator("#review h1").first.inner_text()
    shown = re.search(r"\d{4}Q[1-4]", heading)
    assert shown, heading
    expect(page.get_by_label("Quarter")).to_have_value(shown.group(0))
    numbers = page.locator("#review td.align-right")
    assert numbers.count() > 10
    aligned = numbers.evaluate_all("cells => cells.map(c => getComputedStyle(c).textAlign)")
    assert set(aligned) == {"right"}
    # Its one resolved incident: the time to resolve is drawn, not an empty axis.
    chart = page.locator('#review img[src^="/review/charts/resolve.png"]')
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 300", arg=chart.element_handle()
    )
    drawn = page.request.get(sandbox.url + str(chart.get_attribute("src")))
    assert drawn.ok and coloured(drawn.body(), SEV2_COLOUR) > 20  # its SEV2 dot

    # A quarter asked for, and a range of dates: each shown in its own inputs.
    page.get_by_label("Quarter").select_option(shown.group(0))
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"quarter=" + shown.group(0)))
    expect(page.get_by_label("Quarter")).to_have_value(shown.group(0))
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-02-15")
    expect(page.get_by_label("Quarter")).to_have_value("")  # picking dates clears it
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#review h1").first).to_contain_text("2026-01-01 to 2026-02-15")
    expect(page.get_by_label("Quarter")).to_have_value("")
    expect(page.get_by_label("From")).to_have_value("2026-01-01")

    page.goto(sandbox.url + "/")
    expect(page.get_by_label("Person")).to_have_value("U0ALICE01")


def test_one_commander_everywhere_and_open_in_slack_keeps_the_person(
    page: Page, sandbox: Sandbox
) -> None:
    as_person(page, sandbox, "Dan")
    page.get_by_role("link", name="#general").click()
    type_message(page, "/incident drill fraud-false-positives")
    started = page.locator(".message.ephemeral").filter(
        has_text=re.compile(r"Drill INC-\d+ started")
    )
    expect(started.last).to_be_visible()
    number = re.search(r"INC-(\d+)", started.last.inner_text())
    assert number
    started.last.locator("a.channel-link").click()
    topic = page.locator(".channel-header .topic")
    expect(topic).to_contain_text("Commander: unassigned")

    # The console says what the channel says: nobody commands yet (Dan facilitates).
    page.goto(sandbox.url + "/incidents")
    row = page.locator(f'tr[data-number="{number.group(1)}"]')
    expect(row.locator("td").nth(4)).to_have_text("unassigned")
    row.get_by_role("link").first.click()
    commander = page.get_by_role("list", name="Roles").locator("li").first
    expect(commander).to_have_text(re.compile(r"Incident Commander\s+unassigned"))

    # "Open … in Slack" goes back to the channel as Dan, not as the first person.
    page.locator("#channel-link").click()
    expect(page.get_by_label("Person")).to_have_value("U0DAN0004")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("#drill-"))

    page.get_by_role("combobox", name="Commander…").select_option(label="bob")
    expect(topic).to_contain_text("Commander: @bob")
    page.goto(sandbox.url + "/incidents")
    expect(row.locator("td").nth(4)).to_have_text("bob")


def test_the_last_messages_menu_opens_inside_the_viewport(page: Page, sandbox: Sandbox) -> None:
    as_person(page, sandbox, "Bob")
    declare(page, "Embedding service times out")
    type_message(page, "Scaled the embedding pods to 12")
    said = page.locator(".message").filter(has_text="Scaled the embedding pods to 12").last
    expect(said).to_be_visible()
    said.get_by_label("Message actions").click()
    item = said.get_by_role("menuitem", name="Add to incident timeline")
    expect(item).to_be_visible()
    menu = said.locator(".menu").bounding_box()
    composer = page.locator("#composer").bounding_box()
    assert menu and composer
    assert menu["y"] >= 0 and menu["y"] + menu["height"] <= composer["y"], (menu, composer)
    item.click()  # clickable: nothing lies over it
    expect(page.get_by_text("Added to the incident's timeline")).to_be_visible()


def test_the_update_form_shows_its_whole_draft_and_charts_are_previewed(
    page: Page, sandbox: Sandbox
) -> None:
    as_person(page, sandbox, "Cara")
    declare(page, "Pricing model quotes zero for some regions")
    type_message(page, "/incident update")
    dialog = page.get_by_role("dialog")
    draft = dialog.get_by_role("textbox", name="Message")
    expect(draft).to_be_visible()
    assert draft.input_value().count("\n") >= 4  # the draft has lines to show
    # Every line of the draft in view, none behind a scroll bar.
    assert draft.evaluate("box => box.scrollHeight <= box.clientHeight + 2")
    draft.fill(draft.input_value() + "\nOne more line\nAnd another\nAnd a third\nAnd a fourth")
    assert draft.evaluate("box => box.scrollHeight <= box.clientHeight + 2")  # it grew
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    type_message(page, "/incident stats")
    direct = page.get_by_role("navigation").get_by_role("link", name="incidentbot")
    expect(direct).to_be_visible(timeout=20_000)
    direct.click()
    preview = page.locator(".file .preview img").first
    expect(preview).to_be_visible(timeout=20_000)
    preview.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 300", arg=preview.element_handle()
    )
    assert re.match(r"/sandbox/files/\w+\?person=U0CARA", preview.get_attribute("src") or "")
    not_blank(preview.screenshot())
