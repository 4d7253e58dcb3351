"""The sandbox as a newcomer meets it, timed in Chromium.

Prints how long ``incidentbot sandbox`` takes until its page answers (a fresh folder
each start: the migrations run every time), and, over ``--tries`` declarations typed
into the message box, the time from pressing Enter until (a) the declaration's reply
with the channel's link is on screen and (b) the new channel, opened from that link,
shows its pinned summary. Baseline, in the same run: a ``/incident help`` typed the
same way, whose answer is the acknowledgement itself (the page's own round trip).

    python -m tests.benchmarks.sandbox_page [--starts 3] [--tries 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.benchmarks.common import percentile
from tests.browser.conftest import CHROMIUM
from tests.sandbox.running import start_sandbox, stop_sandbox


def _type(page: Page, text: str) -> float:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    began = time.perf_counter()
    box.press("Enter")
    return began


def _figures(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name:<34} median {statistics.median(ms):6.0f} ms   p95 {percentile(ms, 95):6.0f} ms"
        f"   max {max(ms):6.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--tries", type=int, default=20)
    args = parser.parse_args()

    starts = []
    for _ in range(args.starts):
        with tempfile.TemporaryDirectory() as folder:
            running = start_sandbox(Path(folder))
            starts.append(running.started_in)
            stop_sandbox(running)
    print(_figures("sandbox start -> page answers", starts))

    with tempfile.TemporaryDirectory() as folder:
        running = start_sandbox(Path(folder))
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=str(CHROMIUM))
                page = browser.new_page()
                page.goto(running.url + "/")
                helped, replied, summarised = [], [], []
                for n in range(args.tries):
                    page.get_by_role("link", name="#general").click()
                    answers = page.locator(".message.ephemeral").filter(
                        has_text="/incident declare <sev>"
                    )
                    before = answers.count()
                    began = _type(page, "/incident help")
                    answers.nth(before).wait_for()
                    helped.append(time.perf_counter() - began)

                    reply = page.locator(".message.ephemeral").filter(has_text="Declared INC-")
                    before = reply.count()
                    began = _type(page, f"/incident declare sev2 Scores drift on feature {n}")
                    reply.nth(before).wait_for()
                    replied.append(time.perf_counter() - began)
                    reply.nth(before).locator("a.channel-link").click()
                    page.locator(".message.pinned").filter(has_text=f"feature {n}").wait_for()
                    summarised.append(time.perf_counter() - began)
                browser.close()
        finally:
            stop_sandbox(running)
    print(_figures("help: Enter -> answer (baseline)", helped))
    print(_figures("declare: Enter -> reply with link", replied))
    print(_figures("declare: Enter -> summary shown", summarised))
    print(f"({args.tries} tries, one browser page, the sandbox on SQLite)")


if __name__ == "__main__":
    main()
