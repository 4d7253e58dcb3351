"""The sandbox started as a newcomer starts it: ``incidentbot sandbox`` in a folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
STARTED = re.compile(r"Sandbox at (http://127\.0\.0\.1:\d+)/")


@dataclass
class Sandbox:
    url: str
    process: subprocess.Popen[str]
    folder: Path
    started_in: float  # seconds from the command to the page answering

    def logs(self) -> str:
        return (self.folder / "sandbox.log").read_text()


def start_sandbox(folder: Path, *extra: str, env: Mapping[str, str] | None = None) -> Sandbox:
    """``incidentbot sandbox --port 0`` in ``folder``, with ``env``'s settings besides its
    own; returns once the page answers."""
    log = (folder / "sandbox.log").open("w")
    began = time.perf_counter()
    settings = dict(env or {})
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    env = {k: v for k, v in env.items() if not k.startswith(("SLACK_", "INCIDENTBOT_"))}
    env.update(settings)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # each start need not compile the bot again
    # This checkout's code, whichever checkout the installed package points at.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
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
