"""What the benchmarks share: percentiles, and the client side of the load generator."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


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
        assert all(status == expect for _, _, status in results), results
        return [(sent, seconds) for sent, seconds, _ in results]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(10)
