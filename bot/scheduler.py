"""APScheduler is the clock; the database is the truth.

Jobs here only look for rows that say work is due and claim them, so a restart
loses nothing and the first run after start-up catches up.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.slack.provision import Provisioner

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30


class Scheduler:
    def __init__(self, provisioner: Provisioner) -> None:
        self._provisioner = provisioner
        self._scheduler = BackgroundScheduler(timezone="UTC")
        # Runs at once on start (next_run_time) and then on the interval.
        from datetime import UTC, datetime

        self._scheduler.add_job(
            self._finish_setups,
            "interval",
            seconds=SWEEP_SECONDS,
            id="finish-incident-setups",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )

    def _finish_setups(self) -> None:
        try:
            finished = self._provisioner.sweep()
            if finished:
                log.info("finished setting up %d incident(s) in Slack", finished)
        except Exception:
            log.exception("the set-up sweep failed; it runs again in %ss", SWEEP_SECONDS)

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=False)
