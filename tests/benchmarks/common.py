"""What the benchmarks share: percentiles, a process's peak memory, and the client side of
the load generator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def added_peak(setup: str, run: str) -> int:
    """The peak resident memory ``run`` adds, in bytes, measured in a fresh Python process
    that executes ``setup`` first (the kernel's high-water mark is reset after it). Every
    side of a comparison is measured the same way; tracemalloc would slow pure-Python
    libraries many times over and miss memory that C code takes without reporting it."""
    script = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "from tests.benchmarks.common import resident\n"
        f"{setup}\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "base = resident('VmRSS')\n"
        f"{run}\n"
        "print(resident('VmHWM') - base)\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
    )
    return int(done.stdout.strip().splitlines()[-1])


def resident(field: str) -> int:
    """A /proc/self/status memory figure (VmRSS, VmHWM), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


class Sender:
    """The load generator, in its own process (see sender.py)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.sender"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def fire(
        self, url: str, requests: list[dict[str, Any]], expect: int = 200
    ) -> list[tuple[float, float]]:
        """Send ``requests`` ({"body", "headers"}) at once; (sent_at, seconds) for each."""
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"url": url, "requests": requests}) + "\n")
        self.proc.stdin.flush()
        results = json.loads(self.proc.stdout.readline())
        wrong = [r for r in results if r[2] != expect]
        if wrong:
            said = sorted({str(r[3]) if len(r) > 3 else f"HTTP {r[2]:.0f}" for r in wrong})
            raise AssertionError(
                f"{len(wrong)} of {len(results)} requests did not get {expect}: {said[:3]}"
            )
        return [(row[0], row[1]) for row in results]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(10)
