"""The sandbox as a newcomer starts it (``incidentbot sandbox``), driven by Chromium.

Debian's chromium is launched through Playwright (its own browser download is not
available here). Locally a missing browser skips these tests; in CI it fails them.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import IN_CI

CHROMIUM = Path(os.environ.get("INCIDENTBOT_TEST_CHROMIUM", "/usr/lib/chromium/chromium"))
STARTED = re.compile(r"Sandbox at (http://127\.0\.0\.1:\d+)/")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message + ": the browser tests must run in CI")
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM)}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1300, "height": 860}}


@dataclass
class Sandbox:
    url: str
    process: subprocess.Popen[str]
    folder: Path
    started_in: float  # seconds from the command to the page answering

    def logs(self) -> str:
        return (self.folder / "sandbox.log").read_text()


def start_sandbox(folder: Path, *extra: str) -> Sandbox:
    """``incidentbot sandbox --port 0`` in ``folder``; returns once the page answers."""
    import httpx

    log = (folder / "sandbox.log").open("w")
    began = time.perf_counter()
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    env = {k: v for k, v in env.items() if not k.startswith(("SLACK_", "INCIDENTBOT_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0", *extra],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    url = None
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if found := STARTED.search(line):
            url = found.group(1)
    if url is None:
        process.kill()
        raise AssertionError(f"the sandbox did not start:\n{(folder / 'sandbox.log').read_text()}")
    while httpx.get(url + "/", timeout=5).status_code != 200:  # answered once it said so
        time.sleep(0.05)
    return Sandbox(url, process, folder, time.perf_counter() - began)


def stop_sandbox(sandbox: Sandbox) -> None:
    sandbox.process.terminate()
    try:
        sandbox.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        sandbox.process.kill()
        raise AssertionError("the sandbox did not stop within 15 s of SIGTERM") from None


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    running = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield running
    stop_sandbox(running)


def not_blank(png: bytes) -> int:
    """How many colours a screenshot has; a blank or one-colour page has one or two."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    most = max(count for count, _ in colours)
    assert most < image.width * image.height * 0.95, "the screenshot is nearly all one colour"
    return len(colours)
