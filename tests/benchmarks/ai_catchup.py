"""The AI investigator on a long incident: 2,000 timeline events.

Prints, for a catch-up over the whole incident: the tokens sent (within the task's
budget, by collapsing repeated events and having the model summarise older ones
first), the requests it took, and the bot's own time outside the model (reading the
timeline, cleaning and fencing the text, chunking, parsing the answer); the baseline,
in the same run, is the naive catch-up that would send every event as it is in one
request. Then an investigation's own time (its tools reading the same incident). The
model is the Chat Completions stand-in (tests/ai/standin.py), on loopback.

    python -m tests.benchmarks.ai_catchup [--events 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import timedelta

from sqlalchemy import select

from bot.ai import agent, catchup, evidence, prompts
from bot.ai.client import ChatClient, estimate_tokens
from bot.ai.settings import AiSettings
from bot.incidents import timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.kinds import EventKind, label
from bot.incidents.severity import Severity
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.models import Incident, TimelineEvent, utcnow
from tests.ai.standin import TOKEN, ChatStandIn
from tests.support import fresh_database

PEOPLE = ("U0ALICE01", "U0BOB0002", "U0CARA003")


def seed(db: Database, count: int) -> int:
    """An incident whose timeline is ``count`` events: alert repeats in runs, notes,
    triage answers, severity and role changes, drift findings, status updates."""
    start = utcnow() - timedelta(hours=30)
    with db.begin() as session:
        incident = declare(
            session, Declaration("Fraud scorer precision fell", Severity.SEV1, PEOPLE[0])
        )
        incident.service = "fraud-scorer"
        for i in range(count - 1):
            at = start + timedelta(seconds=50 * i)
            who = PEOPLE[i % 3]
            if i % 10 < 6:
                kind, text = (
                    EventKind.ALERT_REFIRED,
                    f"FraudPrecisionLow fired again: precision 0.{60 + i % 7}",
                )
            elif i % 10 == 6:
                kind, text = (
                    EventKind.NOTE,
                    f"Checked feature store partition {i}: rows arrive {i % 13} min late",
                )
            elif i % 10 == 7:
                kind, text = (
                    EventKind.STATUS_UPDATE,
                    f"Update {i}: still investigating, rollback prepared",
                )
            elif i % 10 == 8:
                kind, text = EventKind.DRIFT_FOUND, f"Drift: {i % 5} of 10 features drifted"
            else:
                kind, text = EventKind.TRIAGE_NOTE, f"Looks like the amount feature shifted ({i})"
            timeline.record(session, incident, kind, text, actor=who, when=at)
        return incident.id


def read(db: Database, incident_id: int) -> tuple[prompts.Brief, list[catchup.Event]]:
    context = evidence.Context(db=db, incident_id=incident_id, sensitive=("sex",))
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        brief = prompts.brief(incident, {}, ("sex",))
        rows = session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.occurred_at)
        )
        events = [
            catchup.Event(
                r.id,
                r.occurred_at,
                label(r.kind),
                (line := evidence.event_line(r, context))["by"],
                line["text"],
            )
            for r in rows
        ]
    return brief, events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with fresh_database("sqlite") as url, ChatStandIn(context_tokens=16_000) as chat:
        upgrade(url)
        db = Database(url)
        incident_id = seed(db, args.events)
        settings = AiSettings(chat.base_url, "briefer", TOKEN)
        client = ChatClient(settings)
        own: list[float] = []
        reading: list[float] = []
        result = None
        for _ in range(args.runs):
            began = time.perf_counter()
            brief, events = read(db, incident_id)
            reading.append(time.perf_counter() - began)
            result = catchup.catch_up(
                client,
                brief,
                "the whole incident",
                events,
                request_tokens=settings.request_tokens,
                max_tokens=settings.max_tokens,
                deadline=time.monotonic() + 300,
                clock=time.monotonic,
            )
            assert result.error is None, result.error
            own.append(reading[-1] + result.own_seconds)
        assert result is not None
        naive = estimate_tokens(prompts.CATCHUP) + estimate_tokens(
            "\n".join(f"[E{e.id}] {e.at:%m-%d %H:%M} {e.kind} {e.by}: {e.text}" for e in events)
        )
        # An investigation on the same incident: the investigator reads three tools.
        context = evidence.Context(db=db, incident_id=incident_id, sensitive=("sex",))
        investigator = ChatClient(AiSettings(chat.base_url, "investigator", TOKEN))
        tools_own = []
        for _ in range(args.runs):
            outcome = agent.converse(
                investigator,
                prompts.investigate_messages(brief, "why?", ()),
                evidence.investigation_tools(context, "fraud-scorer"),
                agent.Budget(time.monotonic() + 300, 60_000, 12),
                clock=time.monotonic,
            )
            assert outcome.error is None, outcome.error
            tools_own.append(outcome.own_seconds)
        db.dispose()
    figures = {
        "events": len(events),
        "lines_after_collapsing_repeats": result.lines,
        "events_summarised_first": result.summarised,
        "events_left_out": result.left_out,
        "requests": result.requests,
        "tokens_sent": result.prompt_tokens,
        "tokens_received": result.completion_tokens,
        "task_budget_tokens": settings.max_tokens,
        "naive_one_request_tokens": naive,
        "sent_vs_naive": round(result.prompt_tokens / naive, 3),
        "catchup_own_ms_median": round(statistics.median(own) * 1000, 1),
        "of_which_reading_ms_median": round(statistics.median(reading) * 1000, 1),
        "investigation_own_ms_median": round(statistics.median(tools_own) * 1000, 1),
        "goal_own_ms": 200,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
