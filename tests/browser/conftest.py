"""The sandbox as a newcomer starts it (``incidentbot sandbox``), driven by Chromium.

Debian's chromium is launched through Playwright (its own browser download is not
available here). Locally a missing browser skips these tests; in CI it fails them.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.running import Sandbox, start_sandbox, stop_sandbox
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


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    # The public status page on too (its test shares this sandbox: one start, not two).
    example = Path(__file__).resolve().parents[2] / "templates" / "statuspage.toml"
    running = start_sandbox(
        tmp_path_factory.mktemp("sandbox"), env={"INCIDENTBOT_STATUS_PAGE": str(example)}
    )
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
