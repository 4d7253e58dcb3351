"""A drill's injects on its own clock, driven by an injected one: each ``tick`` is the
scheduler's run at the time the test says, so injects minutes apart need no waiting."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import drills, roles
from bot.app.services import Services
from bot.incidents import timeline
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.runtime import sandbox
from bot.sandbox import SlackStandIn
from bot.store.models import Incident, utcnow
from tests.conftest import ALICE, BOB


def said_in(slack: SlackStandIn, channel: str) -> list[str]:
    return [m["text"] for m in slack.channels[channel].messages if "[DRILL] From" in m["text"]]


def test_injects_arrive_in_order_when_their_drill_time_comes(
    services: Services, slack: SlackStandIn
) -> None:
    answers: list[dict[str, Any]] = []
    drills.start(services, "chatbot-stale-index", ALICE, lambda **m: answers.append(m))
    assert answers and answers[0]["text"].startswith("Drill INC-1 started")
    with services.db.begin() as session:
        incident = session.scalars(select(Incident)).one()
        channel, began = incident.channel_id, incident.drill_started_at
    assert channel is not None and began is not None

    # The scenario: a message at 0 min, an alert at 5 min, a message at 10 min.
    assert drills.tick(services, began) == 1
    (first,) = said_in(slack, channel)
    assert "Support lead" in first and "60-day refunds" in first
    assert drills.tick(services, began + timedelta(minutes=4, seconds=59)) == 0
    assert drills.tick(services, began + timedelta(minutes=5)) == 1
    assert drills.tick(services, began + timedelta(minutes=5)) == 0  # each inject once
    assert drills.tick(services, began + timedelta(minutes=10)) == 1
    texts = [m["text"] for m in slack.channels[channel].messages]
    alert = next(i for i, t in enumerate(texts) if "AnswerGroundednessLow" in t)
    legal = next(i for i, t in enumerate(texts) if "Legal" in t)
    support = next(i for i, t in enumerate(texts) if "Support lead" in t)
    assert support < alert < legal
    assert drills.tick(services, utcnow() + timedelta(hours=1)) == 0  # nothing left


def test_the_report_says_each_inject_and_names_people(
    services: Services, slack: SlackStandIn
) -> None:
    """The report's inject lines carry what each inject said (they were once empty), and
    the people in its timeline are shown by their display names, not their Slack IDs."""
    answers: list[dict[str, Any]] = []
    drills.start(services, "chatbot-stale-index", ALICE, lambda **m: answers.append(m))
    with services.db.begin() as session:
        incident = session.scalars(select(Incident)).one()
        channel, began = incident.channel_id, incident.drill_started_at
    assert channel is not None and began is not None
    drills.tick(services, began + timedelta(minutes=5))
    roles.assign(services, channel, Role.ML_LEAD, BOB, ALICE, lambda **m: answers.append(m))
    drills.control(services, channel, "end", ALICE, lambda **m: answers.append(m))
    reports = [f for f in slack.channels[channel].files if f["name"].startswith("drill-report")]
    assert len(reports) == 1
    report = reports[0]["content"].decode()
    injects = report.split("## Injects", 1)[1].split("## Timeline", 1)[0]
    assert "- +5:00 message: Three customers today were promised 60-day refunds." in injects
    assert "- +5:00 alert: Share of answers citing current documents fell" in injects
    assert "@bob is ML Lead" in report and BOB not in report


def test_a_teams_broken_report_template_is_said_not_half_uploaded(
    services: Services, slack: SlackStandIn, tmp_path: Path
) -> None:
    """The report renders through the document templates, a team's folder first: a
    broken one is named to the facilitator, and no report is uploaded."""
    (tmp_path / "drills").mkdir()
    (tmp_path / "drills" / "report.md.j2").write_text("# {{ incident.reference }\n")
    services.settings = replace(services.settings, templates_dir=tmp_path)
    answers: list[dict[str, Any]] = []
    drills.start(services, "chatbot-stale-index", ALICE, lambda **m: answers.append(m))
    with services.db.begin() as session:
        channel = session.scalars(select(Incident)).one().channel_id
    assert channel is not None
    drills.control(services, channel, "end", ALICE, lambda **m: answers.append(m))
    told = [m["text"] for m in slack.channels[channel].private_to(ALICE)]
    assert any(
        t.startswith("No drill report: The drill report template ")
        and "drills/report.md.j2 is broken at line 1" in t
        for t in told
    ), told
    assert not [f for f in slack.channels[channel].files if f["name"].startswith("drill-report")]


def test_injects_a_skip_ahead_sent_read_before_what_is_done_next(
    services: Services, slack: SlackStandIn
) -> None:
    """The sandbox's skip sends now the injects due later and records them now: they
    were once stamped at the later time, so a role taken after them read before them."""
    answers: list[dict[str, Any]] = []
    drills.start(services, "chatbot-stale-index", ALICE, lambda **m: answers.append(m))
    with services.db.begin() as session:
        incident = session.scalars(select(Incident)).one()
        channel, number = incident.channel_id, incident.id
    assert channel is not None
    assert sandbox.later(services)(timedelta(minutes=10)) == (0, 3)
    roles.assign(services, channel, Role.ML_LEAD, BOB, ALICE, lambda **m: answers.append(m))
    with services.db.begin() as session:
        kinds = [e.kind for e in timeline.events(session, number)]
    assert kinds.count(EventKind.DRILL_INJECT) == 3
    assert kinds[-1] == EventKind.ROLE_ASSIGNED, kinds  # Bob as ML Lead: the last thing done
