"""The engine that performs owed work: claim, perform, then done, retry later, or dead.

- **Claims are leases.** A row is claimed by a conditional update that sets
  ``lease_until`` and ``lease_holder``; while the work runs (a Slack call may sleep
  out a ``Retry-After``), a renewer extends the lease, so no other process takes it.
  A process that dies stops renewing, and its work is free again one lease later.
- **Failures are sorted** (``failures.sort``): a passing one is retried with
  backoff until ``GIVE_UP`` after the work was owed; a final one (or one past the
  give-up time) makes the work dead at once. Dead work never holds back anything.
- **Order only where readers see it.** Rows with the same ``order_key`` (posts
  into one channel) run in id order, and one that is waiting to be retried holds
  back the ones after it; rows without a key run as they come.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select, true, update

from bot.outbox.failures import Failure, sort
from bot.outbox.leases import Clock, Lease, Renewer
from bot.store.db import Database
from bot.store.models import SlackEffect, utcnow

log = logging.getLogger(__name__)

# Seconds before attempt 2, 3, ...; then every 30 s, so work owed through an outage
# arrives within about 30 s of Slack's return.
BACKOFF = (2, 5, 10, 20, 30)
MAX_ASKED_WAIT = 300  # seconds: a longer wait asked for is cut to this
GIVE_UP = timedelta(hours=6)  # retryable work owed longer than this is dead


@dataclass(frozen=True)
class Work:
    id: int
    incident_id: int
    kind: str
    payload: dict[str, Any]
    order_key: str | None
    repeat: bool = False  # tried before: an earlier attempt may have reached Slack


# The work the current thread performs: posts name it in their metadata, and a repeat
# looks for that name in the channel before posting again (``bot.slack.webapi.notify``).
current: ContextVar[Work | None] = ContextVar("current_work", default=None)


Perform = Callable[[Work], None]
# Told when work dies, to say so where people will see it.
OnDead = Callable[[Work, Failure], None]


def pending_filter() -> Any:
    return and_(SlackEffect.done_at.is_(None), SlackEffect.dead_at.is_(None))


EFFECTS = Lease(SlackEffect.lease_until, SlackEffect.lease_holder)


class Engine:
    def __init__(
        self, db: Database, perform: Perform, on_dead: OnDead, clock: Clock = utcnow
    ) -> None:
        self._db = db
        self._perform = perform
        self._on_dead = on_dead
        self._clock = clock
        self.holder = f"{uuid.uuid4().hex[:12]}"
        self.renewer = Renewer(db, EFFECTS, clock)

    def run_incident(self, incident_id: int, kinds: frozenset[str] | None = None) -> int:
        """Perform one incident's due work (only ``kinds``, when given); returns how many
        items were done."""
        done = 0
        only = SlackEffect.kind.in_(kinds) if kinds is not None else true()
        while True:
            now = self._clock()
            with self._db.begin() as session:
                rows = session.execute(
                    select(
                        SlackEffect.id,
                        SlackEffect.order_key,
                        SlackEffect.due_at,
                        SlackEffect.lease_until,
                    )
                    .where(SlackEffect.incident_id == incident_id, pending_filter(), only)
                    .order_by(SlackEffect.id)
                    .limit(200)
                ).all()
            held_back: set[str] = set()
            progressed = False
            for row in rows:
                if row.order_key is not None and row.order_key in held_back:
                    continue
                leased = row.lease_until is not None and row.lease_until > now
                work = None if row.due_at > now or leased else self._claim(row.id)
                if work is None:
                    if row.order_key is not None:
                        held_back.add(row.order_key)  # what follows it waits its turn
                    continue
                outcome = self._run(work)
                progressed = True
                if outcome == "done":
                    done += 1
                elif outcome == "retry" and work.order_key is not None:
                    held_back.add(work.order_key)
            if not progressed:
                return done

    def run_now(self, effect_id: int) -> str | None:
        """Perform one row out of turn (work with no order to keep); None when it is not
        due or another process holds it."""
        work = self._claim(effect_id)
        return None if work is None else self._run(work)

    def _claim(self, effect_id: int) -> Work | None:
        now = self._clock()
        with self._db.begin() as session:
            previous = session.scalar(
                select(SlackEffect.lease_holder).where(SlackEffect.id == effect_id)
            )
            if not EFFECTS.claim(session, effect_id, self.holder, now, pending_filter()):
                return None
            row = session.get(SlackEffect, effect_id, populate_existing=True)
            assert row is not None
            # Failed before, or claimed by a process that stopped mid-way (it left its
            # holder behind): Slack may have taken an earlier attempt.
            repeat = row.attempts > 0 or previous is not None
            return Work(row.id, row.incident_id, row.kind, dict(row.payload), row.order_key, repeat)

    def _run(self, work: Work) -> str:
        self.renewer.hold(work.id, self.holder)
        token = current.set(work)
        try:
            self._perform(work)
        except Exception as exc:
            return self._failed(work, sort(exc))
        finally:
            current.reset(token)
            self.renewer.release(work.id)
        self._finish(work.id, done_at=self._clock())
        return "done"

    def _failed(self, work: Work, failure: Failure) -> str:
        now = self._clock()
        with self._db.begin() as session:
            effect = session.get(SlackEffect, work.id)
            if effect is None:
                return "dead"  # dropped meanwhile
            effect.attempts += 1
            effect.error_code = failure.code[:64]
            effect.last_error = failure.text()[:2000]
            effect.lease_until = effect.lease_holder = None
            if failure.retry and now - effect.created_at < GIVE_UP:
                delay: float = BACKOFF[min(effect.attempts - 1, len(BACKOFF) - 1)]
                if failure.after is not None:  # a rate limit that says when it resets
                    delay = max(delay, min(failure.after, MAX_ASKED_WAIT))
                effect.due_at = now + timedelta(seconds=delay)
                log.warning(
                    "Slack work %s (%s) failed, retrying in %ss: %s",
                    work.id,
                    work.kind,
                    delay,
                    failure.text(),
                )
                return "retry"
            effect.dead_at = now
        log.error("Slack work %s (%s) is dead: %s", work.id, work.kind, failure.text())
        try:
            self._on_dead(work, failure)
        except Exception:
            log.exception("could not report dead work %s", work.id)
        return "dead"

    def _finish(self, effect_id: int, **values: Any) -> None:
        with self._db.begin() as session:
            session.execute(
                update(SlackEffect)
                .where(SlackEffect.id == effect_id)
                .values(**EFFECTS.released(), **values)
                .execution_options(synchronize_session=False)
            )
