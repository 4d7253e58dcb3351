"""The channel's side of a long analysis (drift, fairness): a working message that says
what is happening and is edited as the work goes, and reading a data set with progress."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.slack import notify

if TYPE_CHECKING:
    import pandas as pd

    from bot.diagnosis import datasets
    from bot.slack.services import Services

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2.0  # seconds between progress edits (Slack allows ~1 edit/s per channel)


class Working:
    """The channel's working message, edited as the analysis goes (at most every 2 s)."""

    def __init__(self, services: Services, channel: str, head: str) -> None:
        self.services, self.channel, self.head = services, channel, head
        self._last = 0.0
        self._lock = threading.Lock()
        self.ts: str | None = None
        try:
            self.ts = notify.post(
                services.client, channel, f"{head}\n:hourglass_flowing_sand: Starting…"
            )
        except SlackApiError as exc:  # the analysis goes on; its findings are owed durably
            log.warning("could not post the working message: %s", exc.response.get("error"))

    def say(self, line: str, *, force: bool = False) -> None:
        if self.ts is None:
            return
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < PROGRESS_EVERY:
                return
            self._last = now
        try:
            self.services.client.chat_update(
                channel=self.channel, ts=self.ts, text=f"{self.head}\n{line}"
            )
        except SlackApiError as exc:  # progress is a courtesy; the result is what must arrive
            log.info("could not update the progress: %s", exc.response.get("error"))

    def withdraw(self) -> None:
        """Take the message away: a request refused for its input leaves no trace in the
        channel (the person who typed it is told privately)."""
        if self.ts is None:
            return
        try:
            self.services.client.chat_delete(channel=self.channel, ts=self.ts)
        except SlackApiError as exc:
            log.info("could not remove the working message: %s", exc.response.get("error"))


def load(services: Services, source: datasets.Source, role: str, status: Working) -> pd.DataFrame:
    def progress(done: int, total: int | None) -> None:
        share = f" ({done / total:.0%})" if total else ""
        status.say(f":inbox_tray: Reading the {role} data: {done / 1024 / 1024:.1f} MB{share}…")

    from bot.diagnosis import datasets

    return datasets.load(source, services.settings.drift_limits, progress)
