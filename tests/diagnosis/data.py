"""Data sets with drift put in on purpose, beside columns left alone, and a local web server
that serves them as a data store would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

# Which columns each shifted data set moves, and how.
DRIFTED = {
    "amount": "mean shifted by 0.6 standard deviations",
    "latency_ms": "variance changed (x2.5 spread)",
    "country": "category shares moved",
    "few_levels": "shares of its 3 values moved",
}
STABLE = ["age", "balance", "channel", "is_new", "code", "tenure"]
NULLED = "balance"  # nulls injected here (20% of the current rows), its values unchanged


def table(rows: int, *, shifted: bool, seed: int) -> pd.DataFrame:
    """Ten features and a prediction; ``shifted`` moves the DRIFTED ones and nulls NULLED."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(100.0 + (12.0 if shifted else 0.0), 20.0, rows),
            "latency_ms": rng.normal(250.0, 40.0 * (2.5 if shifted else 1.0), rows),
            "country": rng.choice(
                ["de", "fr", "it", "es"],
                rows,
                p=[0.1, 0.2, 0.3, 0.4] if shifted else [0.4, 0.3, 0.2, 0.1],
            ),
            "few_levels": rng.choice(
                [1.0, 2.0, 3.0], rows, p=[0.2, 0.3, 0.5] if shifted else [0.5, 0.3, 0.2]
            ),
            "age": rng.integers(18, 90, rows),
            "balance": rng.lognormal(8.0, 1.0, rows),
            "channel": rng.choice(["web", "app", "pos"], rows),
            "is_new": rng.choice([True, False], rows),
            "code": rng.integers(0, 6, rows),
            "tenure": rng.exponential(24.0, rows),
            "score": rng.beta(2.0 + (3.0 if shifted else 0.0), 5.0, rows),
        }
    )
    if shifted:
        frame.loc[rng.random(rows) < 0.2, NULLED] = np.nan
    return frame


# The data host the tests allow through INCIDENTBOT_FETCH_ALLOW: a loopback address of
# its own (Linux routes all of 127.0.0.0/8 to loopback), so 127.0.0.1 stays refused and
# plays the internal target.
DATA_HOST = "127.0.0.2"


@contextmanager
def served(folder: Path, host: str = DATA_HOST) -> Iterator[str]:
    """Serve ``folder`` over HTTP on ``host``; yields the base URL."""
    handler = partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass
