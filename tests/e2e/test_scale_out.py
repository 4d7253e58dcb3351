"""Three replicas on one PostgreSQL behind a round-robin proxy; one is killed (SIGKILL)
mid-burst and not restarted.

Through the proxy: an alert storm, a burst of declarations, and clicks (taking the ML
Lead role on incidents already set up), with nudges falling due every few seconds.
Required: every accepted alert applied once, every acknowledged declaration and click
applied once, one channel per incident, no message posted twice (by the name in its
metadata), every nudge sent once, a replayed request refused by the replica it reached,
and the dead replica's work taken up by the others within 30 seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.sandbox import SlackStandIn
from bot.slack.blocks.summary import ROLE_SELECT_PREFIX
from bot.store.db import Database
from bot.store.models import AlertDelivery, Incident, ReceivedRequest, TimelineEvent
from tests.alerts import payloads
from tests.alerts.helpers import ALERT_ENV, post_alert
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import nudges, stored_incidents
from tests.e2e.proxy import RoundRobin
from tests.support import BotProcess, fresh_database, migrate

REPLICAS = 3
# Sixteen channels in all: under Slack's conversations.create limit (Tier 2, 20 a minute),
# which the stand-in enforces, so the time measured is the replicas', not the limit's.
FIRST = 4  # declared, and set up, before the burst: their summaries get the clicks
BURST = 8  # declared during the burst
GROUPS, PER_GROUP = 4, 8  # the alert storm
CADENCE = "sev1=3s,sev2=3s,sev3=3s,sev4=0"
TAKEN_UP_WITHIN = 30.0


@pytest.fixture
def shared_database() -> Iterator[str]:
    with fresh_database("postgresql") as url:
        migrate(url)
        yield url


def _db_read(url: str, query: Any) -> list[Any]:
    db = Database(url)
    try:
        with db.begin() as session:
            return list(session.execute(query).all())
    finally:
        db.dispose()


def _set_up(url: str) -> list[Any]:
    return [i for i in stored_incidents(url) if i.provisioned_at and i.announced_ts]


def test_three_replicas_one_killed_lose_nothing_and_double_nothing(
    slack: SlackStandIn, broadcast: str, general: str, shared_database: str
) -> None:
    env = {
        "INCIDENTBOT_BROADCAST_CHANNEL": broadcast,
        "INCIDENTBOT_STATUS_UPDATE_EVERY": CADENCE,
        "INCIDENTBOT_LEASE_SECONDS": "5",  # the killed replica's work is free sooner
        **ALERT_ENV,
    }
    bots = [BotProcess(slack, shared_database, **env).start() for _ in range(REPLICAS)]
    try:
        with RoundRobin([b.url for b in bots]) as proxy:
            _run(slack, general, shared_database, bots, proxy)
    except AssertionError:
        for n, bot in enumerate(bots):
            print(f"--- replica {n} ---\n{bot.logs()[-4000:]}")
        raise
    finally:
        for bot in bots:
            bot.stop()


def _run(
    slack: SlackStandIn, general: str, url: str, bots: list[BotProcess], proxy: RoundRobin
) -> None:
    slack.add_user(BOB, "bob")
    # Before the burst: incidents whose summaries will be clicked.
    first = [
        slack.prepare_command(f"declare sev2 Ranker drift {n}", user=ALICE, channel=general)
        for n in range(FIRST)
    ]
    with ThreadPoolExecutor(FIRST) as pool:
        assert all(
            r.ack_text.startswith("Declaring") for r in pool.map(lambda p: p.send(proxy.url), first)
        )
    ready = slack.wait_for(
        lambda: (found := _set_up(url)) and len(found) == FIRST and found,
        timeout=60,
        what="the first incidents set up",
    )
    for incident in ready:
        slack.channels[incident.channel_id].members.add(BOB)

    # A replayed request reaches the next replica, which refuses it.
    note = slack.prepare_command("note replayed once", user=ALICE, channel=ready[0].channel_id)
    assert note.send(proxy.url).http.status_code == 200
    assert note.send(proxy.url).http.status_code == 200  # to another replica: ignored

    # The burst: declarations, clicks and alerts at once; one replica dies half-way.
    declarations = [
        (
            f"Scorer outage {n}",
            slack.prepare_command(f"declare sev2 Scorer outage {n}", user=ALICE, channel=general),
        )
        for n in range(BURST)
    ]
    storm = [
        payloads.generic(dedup_key=f"storm-{n % GROUPS}", title=f"Storm group {n % GROUPS}")
        for n in range(GROUPS * PER_GROUP)
    ]
    work: list[tuple[str, Any]] = (
        [("declare", d) for d in declarations]
        + [("click", i) for i in ready]
        + [("alert", a) for a in storm]
    )
    work = [work[i] for i in sorted(range(len(work)), key=lambda i: (i * 7919) % len(work))]
    sent = Counter[str]()
    lock = threading.Lock()
    killed_at: list[float] = []
    doomed = bots[1]

    def kill_once_it_holds_a_set_up(backend: str, status: int, answer: bytes) -> None:
        # Half-way through, and just after it acknowledged a declaration: it dies holding
        # the incident's set-up (and whatever else it had taken).
        with lock:
            due = sent["all"] >= len(work) // 2 and not killed_at
            if due and backend == doomed.url and b"Declaring" in answer:
                assert doomed.proc is not None
                doomed.proc.kill()  # SIGKILL; never restarted
                killed_at.append(time.monotonic())

    proxy.on_answer = kill_once_it_holds_a_set_up

    def send(item: tuple[str, Any]) -> tuple[str, Any, bool]:
        kind, what = item
        if kind == "declare":
            result = what[1].send(proxy.url)
            accepted = result.http.status_code == 200 and result.ack_text.startswith("Declaring")
        elif kind == "click":
            response, _ = slack.block_action(
                proxy.url,
                user=BOB,
                channel=what.channel_id,
                message_ts=what.summary_ts,
                action={
                    "action_id": f"{ROLE_SELECT_PREFIX}{Role.ML_LEAD.value}",
                    "selected_user": BOB,
                },
            )
            accepted = response.status_code == 200
        else:
            accepted = post_alert(proxy.url, "generic", what).status_code == 202
        with lock:
            sent["all"] += 1
        return kind, what, accepted

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(send, work))
    assert killed_at, "the replica was not killed"
    accepted = Counter(kind for kind, _, ok in outcomes if ok)
    acked_declarations = {what[0] for kind, what, ok in outcomes if kind == "declare" and ok}
    acked_clicks = [what.id for kind, what, ok in outcomes if kind == "click" and ok]
    print(f"acknowledged: {dict(accepted)} of {dict(Counter(k for k, _ in work))}")
    print(f"requests per replica: {proxy.sent_to}")

    # Everything acknowledged is applied, the dead replica's share included.
    def settled() -> bool:
        deliveries = _db_read(
            url,
            select(func.count())
            .select_from(AlertDelivery)
            .where(AlertDelivery.processed_at.is_(None)),
        )[0][0]
        open_requests = _db_read(
            url,
            select(func.count())
            .select_from(ReceivedRequest)
            .where(ReceivedRequest.done_at.is_(None)),
        )[0][0]
        incidents = stored_incidents(url)
        titles = {i.title for i in incidents}
        return (
            deliveries == 0
            and open_requests == 0
            and acked_declarations <= titles
            and all(i.provisioned_at and i.announced_ts for i in incidents)
        )

    slack.wait_for(settled, timeout=TAKEN_UP_WITHIN + 30, what="every acknowledged request applied")
    took = time.monotonic() - killed_at[0]
    print(f"the dead replica's work was taken up and finished {took:.1f} s after the kill")
    assert took < TAKEN_UP_WITHIN + 15  # a lease, a sweep, then the set-ups themselves

    incidents = stored_incidents(url)
    titles = Counter(i.title for i in incidents)
    # Declarations: each acknowledged one exists, once.
    assert all(titles[t] == 1 for t in acked_declarations), titles
    # Alerts: every accepted delivery applied once; each group declared one incident.
    delivered = _db_read(url, select(AlertDelivery.outcome))
    assert len(delivered) >= accepted["alert"]
    assert [o for (o,) in delivered].count("declared") == GROUPS
    assert sum(1 for t in titles if t.startswith("Storm group")) == GROUPS
    # One channel per incident.
    channels = [c for c in slack.channels.values() if c.name.startswith("inc-")]
    assert len(channels) == len(incidents)
    assert sorted(c.id for c in channels) == sorted(str(i.channel_id) for i in incidents)
    # Clicks: each acknowledged one took the role, once.
    taken = _db_read(
        url,
        select(TimelineEvent.incident_id, TimelineEvent.data).where(
            TimelineEvent.kind == EventKind.ROLE_ASSIGNED
        ),
    )
    assigned = Counter(i for i, data in taken if (data or {}).get("role") == Role.ML_LEAD.value)
    for incident_id in acked_clicks:
        assert assigned[incident_id] == 1, (incident_id, assigned)
        holders = _db_read(url, select(Incident).where(Incident.id == incident_id))
        assert holders[0][0].holder(Role.ML_LEAD) == BOB
    # The replayed note: once.
    notes = _db_read(url, select(TimelineEvent.text).where(TimelineEvent.kind == EventKind.NOTE))
    assert [t for (t,) in notes] == ["replayed once"]

    def nudged() -> list[Any]:
        done = _db_read(
            url,
            select(TimelineEvent.incident_id).where(TimelineEvent.kind == EventKind.UPDATE_NUDGED),
        )
        return done if len({i for (i,) in done}) == len(incidents) else []

    slack.wait_for(nudged, timeout=30, what="a nudge for every incident")
    for bot in (bots[0], bots[2]):
        bot.stop()  # nothing more is sent: what was sent can be counted
    # No message posted twice: each name in a message's metadata is there once.
    for channel in slack.channels.values():
        named = Counter(
            json.dumps(m["metadata"], sort_keys=True) for m in channel.messages if m.get("metadata")
        )
        assert all(n == 1 for n in named.values()), (channel.name, named.most_common(3))
    # Nudges: each sent once, and recorded as sent.
    recorded = _db_read(
        url,
        select(TimelineEvent.incident_id, TimelineEvent.data)
        .where(TimelineEvent.kind == EventKind.UPDATE_NUDGED)
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id),
    )
    by_incident: dict[int, list[int]] = {}
    for incident_id, data in recorded:
        by_incident.setdefault(incident_id, []).append(int(data["unanswered"]))
    assert by_incident, "no nudge fell due during the test"
    for incident in incidents:
        counts = by_incident.get(incident.id, [])
        assert counts == list(range(1, len(counts) + 1)), (incident.id, counts)
        # Each recorded nudge posted once; the newest may still be owed when the replicas
        # stop (recorded in the tick's transaction, posted by the outbox just after).
        posted = len(nudges(slack.channels[incident.channel_id]))
        assert len(counts) - 1 <= posted <= len(counts), (incident.id, posted, counts)
