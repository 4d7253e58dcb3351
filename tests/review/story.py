"""A fixed quarter of incidents (2026Q3, and one in 2026Q2) whose review was worked out by hand.

Every figure the tests expect is derived in the comments beside the incident that
produces it, so a reader can check the arithmetic without running anything.
Cadence is the default: SEV1 30 min, SEV2 2 h, SEV3 8 h, SEV4 none (10% grace).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.incidents import key_times, notes, timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.key_times import KeyTime
from bot.incidents.reminders import Cadence
from bot.incidents.resolve import resolve
from bot.incidents.severity import Severity
from bot.incidents.status_update import UpdateKind, post_update
from bot.store.db import Database
from bot.store.models import Incident
from tests.incidents.helpers import steering

ALICE, BOB, CARA = "U0ALICE01", "U0BOB0002", "U0CARA003"
NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)  # a Thursday, after the quarter
CADENCE: Cadence = {
    "sev1": timedelta(minutes=30),
    "sev2": timedelta(hours=2),
    "sev3": timedelta(hours=8),
    "sev4": None,
}
SECRET = "Support bot reveals a customer's address"
HOSTILE = '<img src=x onerror="alert(1)"> ranking <!channel>'
FORMULA = '=HYPERLINK("http://evil.example","click")'


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+00:00")


def _update(session: object, incident: Incident, when: datetime, kind: UpdateKind, by: str) -> None:
    post_update(session, incident, "what we know", by=by, kind=kind, cadence=CADENCE, now=when)  # type: ignore[arg-type]


def build(db: Database) -> dict[str, int]:
    """Store the story; returns each incident's ID by its letter."""
    ids: dict[str, int] = {}
    with db.begin() as session:
        # A: SEV1 from an alert. First signal 09:00, declared 09:10, Bob at work 09:20,
        # rolled back 10:00, resolved 11:00 (a Monday). Detect 10 min, acknowledge 20,
        # mitigate 60, resolve 120. Updates 09:25 (15 min after declaring), 09:50 (25),
        # 10:40 (50: late), 11:00 resolution (20): 3 of 4 on cadence. Post-mortem Friday
        # 07-10, due Monday 07-13 11:00: on time. Two action items, one done, one due 09-01
        # and still open: overdue on 10-15. Triage's last hypothesis: data.
        a = declare(
            session,
            Declaration(
                title="Fraud model flags 40% of payments",
                severity=Severity.SEV1,
                declared_by=None,
                service="fraud-scorer",
                failure_category="data-drift",
                detected_at=at("2026-07-06", "09:00"),
                detected_by="Alertmanager: FraudPrecisionLow",
            ),
            now=at("2026-07-06", "09:10"),
        )
        session.flush()
        timeline.record(session, a, "alert_fired", "fired", when=at("2026-07-06", "09:00"))
        # A paged the fraud team at 09:11; its on-call acknowledged at 09:18 (7 min).
        timeline.record(
            session, a, "paged", "Paged Fraud", when=at("2026-07-06", "09:11"), service="Fraud"
        )
        timeline.record(
            session, a, "page_acknowledged", "Olive acknowledged", when=at("2026-07-06", "09:18")
        )
        timeline.record(
            session, a, "role_assigned", "Bob commands", actor=BOB, when=at("2026-07-06", "09:20")
        )
        _update(session, a, at("2026-07-06", "09:25"), UpdateKind.UPDATE, BOB)
        _update(session, a, at("2026-07-06", "09:50"), UpdateKind.UPDATE, BOB)
        timeline.record(
            session,
            a,
            "triage_proposed",
            "proposal",
            when=at("2026-07-06", "09:55"),
            cause="data",
            severity="sev1",
        )
        timeline.record(
            session,
            a,
            "model_rolled_back",
            "rolled back",
            actor=BOB,
            when=at("2026-07-06", "10:00"),
            model="fraud",
            version="41",
        )
        _update(session, a, at("2026-07-06", "10:40"), UpdateKind.UPDATE, BOB)
        done = notes.add_action(
            session, a, notes.ActionItem("Alert on precision", BOB, date(2026, 7, 20)), by=BOB
        )
        notes.add_action(
            session, a, notes.ActionItem("Retrain weekly", ALICE, date(2026, 9, 1)), by=BOB
        )
        session.flush()
        notes.close_action(session, a, done.id, by=BOB)
        resolve(session, a, **steering(BOB), now=at("2026-07-06", "11:00"))
        _update(session, a, at("2026-07-06", "11:00"), UpdateKind.RESOLUTION, BOB)
        timeline.record(
            session,
            a,
            "postmortem_published",
            "published",
            actor=BOB,
            when=at("2026-07-10", "15:00"),
        )
        ids["A"] = a.id

        # B: SEV1 declared by Alice at 14:00 (a Monday), no alert. The first signal is
        # corrected to 12:00, then to 11:00 (the latest wins); resolved 16:00, corrected to
        # 15:30. Acknowledged when declared (a person). Triage "getting better" at 15:00
        # mitigates. Detect 180 min, acknowledge 180, mitigate 240, resolve 270. First
        # notice 14:45: 45 min, past SEV1's 30 (missed); resolution 16:00 (75 min): 0 of 2
        # on cadence. No post-mortem; due 08-10 15:30: missing. Triage said model, then data.
        b = declare(
            session,
            Declaration(
                title="Fraud model blocks card payments in Spain",
                severity=Severity.SEV1,
                declared_by=ALICE,
                service="fraud-scorer",
                failure_category="data-drift",
            ),
            now=at("2026-08-03", "14:00"),
        )
        session.flush()
        for when, cause in (("14:20", "model"), ("14:40", "data")):
            timeline.record(
                session, b, "triage_proposed", "p", when=at("2026-08-03", when), cause=cause
            )
        _update(session, b, at("2026-08-03", "14:45"), UpdateKind.UPDATE, ALICE)
        timeline.record(
            session,
            b,
            "triage_answered",
            "better",
            actor=ALICE,
            when=at("2026-08-03", "15:00"),
            question="trend",
            answer="better",
        )
        resolve(session, b, **steering(ALICE), now=at("2026-08-03", "16:00"))
        _update(session, b, at("2026-08-03", "16:00"), UpdateKind.RESOLUTION, ALICE)
        for moved in ("12:00", "11:00"):
            key_times.correct(
                session,
                b,
                key_times.of(session, b),
                {KeyTime.DETECTED: at("2026-08-03", moved)},
                **steering(BOB),
                now=at("2026-08-04", "09:00"),
            )
        key_times.correct(
            session,
            b,
            key_times.of(session, b),
            {KeyTime.RESOLVED: at("2026-08-03", "15:30")},
            **steering(BOB),
            now=at("2026-08-04", "09:00"),
        )
        ids["B"] = b.id

        # C: SEV2 from an alert: first signal 08:00, declared 08:05 (a Thursday); nobody
        # at work until Cara's note at 11:00 (175 min after declaring: past SEV2's 2 h,
        # missed); first notice 11:10 (185 min: past the 2 h cadence, missed). Alerts all
        # resolved 12:00, resolved 13:00. Detect 5, acknowledge 180, mitigate 240, resolve
        # 300. Updates: 11:10 (185 min, late), 13:00 (110, on cadence): 1 of 2. Post-mortem
        # 09-01, due 08-27 13:00: late. One action item due 12-01: open, not overdue.
        c = declare(
            session,
            Declaration(
                title=HOSTILE,
                severity=Severity.SEV2,
                declared_by=None,
                service="recsys-ranker",
                failure_category="concept-drift",
                detected_at=at("2026-08-20", "08:00"),
                detected_by="Grafana: CTR down",
            ),
            now=at("2026-08-20", "08:05"),
        )
        session.flush()
        timeline.record(session, c, "alert_fired", "fired", when=at("2026-08-20", "08:00"))
        timeline.record(session, c, "note", "looking", actor=CARA, when=at("2026-08-20", "11:00"))
        _update(session, c, at("2026-08-20", "11:10"), UpdateKind.UPDATE, CARA)
        timeline.record(session, c, "alerts_all_resolved", "ok", when=at("2026-08-20", "12:00"))
        notes.add_action(
            session, c, notes.ActionItem("Check CTR feature", CARA, date(2026, 12, 1)), by=CARA
        )
        resolve(session, c, **steering(CARA), now=at("2026-08-20", "13:00"))
        _update(session, c, at("2026-08-20", "13:00"), UpdateKind.RESOLUTION, CARA)
        timeline.record(
            session, c, "postmortem_published", "published", when=at("2026-09-01", "10:00")
        )
        ids["C"] = c.id

        # D: private SEV3, declared by Bob 09-10 10:00, still open, no notice ever (its
        # 8 h cadence passed long ago: missed). Detect 0, acknowledge 0.
        d = declare(
            session,
            Declaration(
                title=SECRET,
                severity=Severity.SEV3,
                declared_by=BOB,
                service="support-llm",
                failure_category="data-leak",
                private=True,
            ),
            now=at("2026-09-10", "10:00"),
        )
        session.flush()
        ids["D"] = d.id

        # E: a drill (SEV1, 09-15): left out unless drills are asked for.
        e = declare(
            session,
            Declaration(title="Drill: fraud spike", severity=Severity.SEV1, declared_by=ALICE),
            now=at("2026-09-15", "10:00"),
        )
        e.drill = "fraud-false-positives"
        session.flush()
        ids["E"] = e.id

        # F: SEV4 by Alice, 09-20 10:00, resolved 12:00, reported from outside; no model, no
        # category, no updates expected. Detect 0, acknowledge 0, mitigate 120 (taken as
        # resolved), resolve 120.
        f = declare(
            session,
            Declaration(
                title=FORMULA, severity=Severity.SEV4, declared_by=ALICE, detection="external"
            ),
            now=at("2026-09-20", "10:00"),
        )
        session.flush()
        resolve(session, f, **steering(ALICE), now=at("2026-09-20", "12:00"))
        ids["F"] = f.id

        # G, the quarter before: SEV1 fraud-scorer data drift by Alice, 05-05 10:00 to
        # 12:00, no post-mortem (missing). Resolve 120.
        g = declare(
            session,
            Declaration(
                title="Fraud model, May",
                severity=Severity.SEV1,
                declared_by=ALICE,
                service="fraud-scorer",
                failure_category="data-drift",
            ),
            now=at("2026-05-05", "10:00"),
        )
        session.flush()
        resolve(session, g, **steering(ALICE), now=at("2026-05-05", "12:00"))
        ids["G"] = g.id
    return ids
