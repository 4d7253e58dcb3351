"""APScheduler is the clock; the database is the truth.

Jobs here only look for rows that say work is due and claim them, so a restart
loses nothing and the first run after start-up catches up. Every replica runs every
job, and there is no leader to lose: each due row is claimed by exactly one of them
(a lease, a conditional update, or ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so a
replica that dies leaves its work to the others one lease later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from bot.app import alerts, drills, effects, nudges, reporting, ticket_changes
from bot.app.paging import webhooks
from bot.app.services import Services
from bot.outbox.leases import lease_length
from bot.store import retention

log = logging.getLogger(__name__)

SWEEP_SECONDS = 10
REMINDER_SECONDS = 1
RETENTION_SECONDS = 600
FOLLOW_UP_SECONDS = 60  # the tracker poll and overdue nudges: due a day apart
REPORTING_SECONDS = 10  # reporting deadlines are days away: a few seconds late is nothing


class Scheduler:
    def __init__(self, services: Services, dispatch_again: Callable[[], int] | None = None) -> None:
        self._services = services
        # Dispatches again the Slack requests a stopped process left (the Slack adapter's).
        self._dispatch_again = dispatch_again
        self._sweeping = threading.Lock()
        self._scheduler = BackgroundScheduler(timezone="UTC")
        # It would log every run of the one-second reminder job.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        # Runs at once on start (next_run_time) and then on the interval.
        from datetime import UTC, datetime, timedelta

        self._scheduler.add_job(
            self._sweep,
            "interval",
            seconds=SWEEP_SECONDS,
            id="sweep",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        # Once more when the leases a stopped process held have lapsed: its commands and
        # owed work are taken up then, not one sweep interval later.
        self._scheduler.add_job(
            self._sweep,
            "date",
            run_date=datetime.now(UTC) + lease_length() + timedelta(seconds=1),
            id="sweep-after-leases",
        )
        # What is past the retention setting goes, a little at a time.
        self._scheduler.add_job(
            self._forget,
            "interval",
            seconds=RETENTION_SECONDS,
            id="retention",
            next_run_time=datetime.now(UTC) + timedelta(seconds=60),
            max_instances=1,
            coalesce=True,
        )
        # Reminders are rows with due times; this only looks for the ones due now.
        self._scheduler.add_job(
            self._remind,
            "interval",
            seconds=REMINDER_SECONDS,
            id="reminders",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        # Action items' follow-up: each row says when its next check or nudge is due.
        self._scheduler.add_job(
            self._follow_up,
            "interval",
            seconds=FOLLOW_UP_SECONDS,
            id="follow-up",
            next_run_time=datetime.now(UTC) + timedelta(seconds=5),
            max_instances=1,
            coalesce=True,
        )

        # Serious-incident reporting: the assessment offered, the deadline's reminders.
        self._scheduler.add_job(
            self._reporting,
            "interval",
            seconds=REPORTING_SECONDS,
            id="reporting",
            next_run_time=datetime.now(UTC) + timedelta(seconds=3),
            max_instances=1,
            coalesce=True,
        )

    def _reporting(self) -> None:
        """Offer the serious-incident assessment where called for; remind of deadlines."""
        try:
            owed = reporting.tick(self._services)
            if owed:
                log.info("serious-incident reporting: %d incident(s) told", owed)
        except Exception:
            log.exception(
                "serious-incident reporting's tick failed; again in %ss", REPORTING_SECONDS
            )

    def _follow_up(self) -> None:
        """Ask the tracker about tickets whose daily check is due; nudge overdue owners."""
        try:
            done = ticket_changes.tick(self._services)
            if done:
                log.info("followed up %d action item(s)", done)
        except Exception:
            log.exception(
                "following up action items failed; trying again in %ss", FOLLOW_UP_SECONDS
            )

    def _remind(self) -> None:
        """Send the nudges and reminders that have fallen due."""
        try:
            sent = nudges.tick(self._services) + drills.tick(self._services)
            if sent:
                log.info("sent %d reminder(s)", sent)
        except Exception:
            log.exception("sending reminders failed; trying again in %ss", REMINDER_SECONDS)

    def _sweep(self) -> None:
        """Finish half-done incident set-ups, then perform the Slack effects still owed."""
        if not self._sweeping.acquire(blocking=False):
            return  # the other sweep job is at it
        try:
            self._sweep_once()
        finally:
            self._sweeping.release()

    def _forget(self) -> None:
        try:
            gone = retention.prune(self._services.db, self._services.settings.retention)
            if gone:
                log.info("deleted past retention: %s", gone)
        except Exception:
            log.exception("deleting what is past retention failed; trying again later")

    def _sweep_once(self) -> None:
        try:
            if self._dispatch_again is not None:
                again = self._dispatch_again()
                if again:
                    log.info("dispatched again %d request(s) a stopped process left", again)
            finished = self._services.provisioner.sweep()
            if finished:
                log.info("finished setting up %d incident(s) in Slack", finished)
            processed = alerts.sweep(self._services)
            if processed:
                log.info("processed %d alert delivery(ies) left over", processed)
            applied = webhooks.apply_deliveries(self._services)
            if applied:
                log.info("applied %d PagerDuty delivery(ies) left over", applied)
            performed = effects.drain(self._services)
            if performed:
                log.info("performed %d pending Slack effect(s)", performed)
        except Exception:
            log.exception("the sweep failed; it runs again in %ss", SWEEP_SECONDS)

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=False)
