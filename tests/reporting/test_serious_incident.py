"""A serious incident from the assessment's offer to the report sent, against the local
Slack with the scheduler's clock passed in: who may assess, the deadline on the summary,
the reminders to the Legal Liaison, the drafts and their missing fields, the command line.
And with reporting off, nothing of it shows."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from bot.app import reporting, roles
from bot.app.clock_line import reporting_line, summary_part
from bot.app.services import Services
from bot.console import story
from bot.documents import postmortem
from bot.incidents import notes
from bot.incidents.declare import Declaration, declare
from bot.incidents.permissions import Reader
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.reporting.chain import verify
from bot.reporting.regimes import Answers
from bot.review import figures
from bot.review import render as render_review
from bot.review.period import current_quarter
from bot.runtime import cli
from bot.sandbox import SlackStandIn, reading
from bot.slack.blocks.kit import render
from bot.slack.blocks.summary import summary_blocks
from bot.slack.listeners.submissions import serious as serious_forms
from bot.store.models import Incident, SeriousCase, TrackedAction, utcnow
from bot.tracking import tickets
from tests.conftest import ALICE, BOB, CARA

BOT = "UBOTINCIDENT"


@pytest.fixture
def services_env() -> dict[str, str]:
    return {"INCIDENTBOT_REPORTING": "eu-ai-act", "INCIDENTBOT_PROVIDER_NAME": "Acme Payments"}


def _incident(services: Services, slack: SlackStandIn, severity: Severity) -> tuple[int, str]:
    for user, name in ((ALICE, "alice"), (BOB, "bob"), (CARA, "cara")):
        slack.add_user(user, name)
    channel = slack.add_channel(f"inc-{severity.value}", members={BOT, ALICE, BOB, CARA})
    with services.db.begin() as session:
        incident = declare(session, Declaration("Scorer denies loans by postcode", severity, ALICE))
        incident.channel_id, incident.provisioned_at = channel, utcnow()
        return incident.id, channel


def _said(slack: SlackStandIn, channel: str) -> list[str]:
    return [reading.message_text(m) for m in slack.channels[channel].public()]


def test_from_the_offer_to_the_report_sent(
    services: Services, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    incident_id, channel = _incident(services, slack, Severity.SEV1)
    replies: list[str] = []

    def reply(**said: Any) -> None:
        replies.append(str(said.get("text")))

    # SEV1: the assessment is offered on its own, once, to the Commander.
    now = utcnow()
    assert reporting.tick(services, now) == 1
    assert reporting.tick(services, now + timedelta(seconds=10)) == 0
    (offer,) = [m for m in _said(slack, channel) if "serious incident" in m]
    assert f"<@{ALICE}>" in offer and "SEV1" in offer and "Assess" in offer

    # Someone who is neither Commander, Legal Liaison nor responder is refused, with who can.
    death = Answers(
        criteria={"death": "yes", "health": "unknown"}, member_states=("DE",), causal="likely"
    )
    reporting.submit_assessment(services, channel, death, CARA, reply)
    assert replies[-1].startswith("Only the Incident Commander, <@U0ALICE01>, or the Legal Liaison")
    with services.db.begin() as session:
        assert session.get(SeriousCase, incident_id).serious is None  # type: ignore[union-attr]

    # The fifth role; the Legal Liaison assesses: a death sets 10 days.
    roles.assign(services, channel, Role.LEGAL_LIAISON, BOB, ALICE, reply)
    # ... through the form, as Slack opens and submits it (its rules checked by the stand-in).
    reporting.open_assessment(services, slack._new_trigger(BOB), channel, BOB, reply, "again")
    (opened,) = [slack.views[v] for v in slack.modals[BOB]]
    assert "Did it lead, or might it have led, to the death of a person?" in reading.readable(
        opened["blocks"]
    )
    picked = {"death": "yes", "widespread": "no", "causal": "likely"}
    values: dict[str, Any] = {}
    for block in opened["blocks"]:
        key = str(block.get("block_id", "")).removeprefix("criterion:")
        if block["type"] != "input":
            continue
        if block["block_id"] == "member_states":
            values[block["block_id"]] = {
                "value": {"type": "multi_static_select", "selected_options": [{"value": "DE"}]}
            }
        elif block["block_id"] == "note":
            values["note"] = {"value": {"type": "plain_text_input", "value": "A denied appeal"}}
        else:
            chosen = {"value": picked.get(key, "unknown")}
            values[block["block_id"]] = {
                "value": {"type": "static_select", "selected_option": chosen}
            }
    acks: list[dict[str, Any]] = []
    serious_forms.on_submit(
        lambda **a: acks.append(a),
        {"user": {"id": BOB}},
        {**opened, "state": {"values": values}},
        {"services": services},
    )
    assert acks == [{}]
    services.background.shutdown()  # the assessment is recorded after the acknowledgement
    assert any("a *serious incident*" in m and "in 10 days" in m for m in _said(slack, channel))
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        case = session.get(SeriousCase, incident_id)
        assert case is not None and case.due_at is not None and case.aware_at is not None
        aware, due = case.aware_at, case.due_at
        assert due - aware == timedelta(days=10)
        line = reporting_line(session, services.settings, incident, aware + timedelta(hours=1))
        part = summary_part(session, services.settings, incident)
        shown = reading.readable(render(summary_blocks(incident, reporting=part)))
    assert (
        line is not None and "report due" in line and "in 10 days (the death of a person)" in line
    )
    assert "Legal Liaison" in shown and "Serious incident:" in shown
    with services.db.begin() as session:  # the web console's incident page says it too
        told = story.read(session, incident_id, Reader(ALICE))
    assert told.reporting is not None and told.reporting.startswith("Serious incident: report due")
    assert ("Legal Liaison", BOB) in told.roles
    with services.db.begin() as session:  # with reporting turned off since, it is not shown
        assert story.read(session, incident_id, Reader(ALICE), reporting=False).reporting is None

    # Reminders to the Legal Liaison at half time and a day before; overdue every day.
    assert reporting.tick(services, aware + timedelta(days=5, minutes=1)) == 1
    assert reporting.tick(services, aware + timedelta(days=5, minutes=2)) == 0
    assert reporting.tick(services, due + timedelta(hours=1)) == 1
    reminded = [m for m in _said(slack, channel) if m.startswith(":alarm_clock:")]
    assert f"<@{BOB}>" in reminded[0] and "in 5 days" in reminded[0]
    assert "report overdue by 1 hour" in reminded[-1]

    # The initial draft names what is missing; the complete one is refused until filled.
    reporting.draft_report(services, channel, BOB, False, reply)
    files = {f["name"]: f["content"].decode() for f in slack.channels[channel].files}
    draft = files[f"INC-{incident_id}-initial-report.md"]
    assert "## Still missing" in draft and "a contact for the authority" in draft
    assert "Acme Payments" in draft and "the death of a person" in draft and "DE" in draft
    assert "The model registry was not read" in draft
    assert f"INC-{incident_id}-initial-report.html" in files
    reporting.draft_report(services, channel, BOB, True, reply)
    assert "cannot go yet: it is missing a contact for the authority" in replies[-1]

    # Sent (now, before the deadline): recorded with its reference; the reminders stop.
    reporting.record_sent(services, channel, "initial", "BfArM-2026-17", BOB, reply)
    sent = "The initial report went to the authority on time (reference BfArM-2026-17)"
    assert any(sent in m for m in _said(slack, channel))
    assert reporting.tick(services, due + timedelta(days=3)) == 0

    with services.db.begin() as session:
        held = verify(session, incident_id)  # everything above is on the chain
        incident = session.get(Incident, incident_id)
        assert incident is not None
        assert held.ok and postmortem.assemble(session, incident)["timeline_hash"] == held.head

    # The quarterly review counts it: one report due, sent on time.
    now = utcnow()
    review = figures.make(
        services.db,
        current_quarter(now.date()),
        services.settings.status_update_every,
        now,
        include_drills=False,
    )
    assert review.figures["reporting"]["this"] == {"due": 1, "on_time": 1, "late": 0, "overdue": 0}
    document = render_review.produce(review, "md", charts=False).text
    assert "| sent on time | 1 | 0 |" in document

    # A planned measure (an action item) fills the corrective measures.
    with services.db.begin() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        notes.add_action(
            session,
            found,
            notes.ActionItem("Retrain without the postcode", CARA, date(2026, 12, 20)),
            by=BOB,
        )
        # Another, its ticket closed in the tracker: the report says it is done, as the
        # summary and its card do (one answer to whether an item is done).
        dropped = notes.add_action(
            session, found, notes.ActionItem("Drop the postcode feature", None, None), by=BOB
        )
        tracked = session.get(TrackedAction, dropped.id)
        assert tracked is not None
        tracked.provider, tracked.ticket, tracked.ticket_key = "jira", "filed", "LOANS-7"
        assert tickets.close_from_tracker(session, "jira", "LOANS-7", utcnow()) is not None
        assert [d for _, d in notes.actions(session, incident_id)] == [False, True]

    # The command line: the JSON with its missing fields; verify's exit codes.
    monkeypatch.setenv("DATABASE_URL", services.db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("INCIDENTBOT_REPORTING", "eu-ai-act")
    monkeypatch.setenv("INCIDENTBOT_PROVIDER_NAME", "Acme Payments")
    assert cli.main(["authority-report", f"INC-{incident_id}", "--format", "json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["missing_fields"] == ["contact", "ai_system", "containment"]
    assert written["corrective_measures"]["planned"] == [
        "Retrain without the postcode, due 2026-12-20",
        "Drop the postcode feature (done)",
    ]
    assert written["countries"] == ["DE"] and written["harm_types"] == ["death"]
    assert written["report_type"] == "initial" and len(written["timeline_last_hash"]) == 64
    assert cli.main(["authority-report", f"INC-{incident_id}", "--complete"]) == 1
    assert "missing a contact for the authority" in capsys.readouterr().err
    assert cli.main(["verify", f"INC-{incident_id}"]) == 0
    assert "the timeline holds" in capsys.readouterr().out


@pytest.mark.parametrize("services_env", [{}])
def test_with_reporting_off_nothing_of_it_shows(
    services: Services, slack: SlackStandIn, services_env: dict[str, str]
) -> None:
    incident_id, channel = _incident(services, slack, Severity.SEV1)
    replies: list[str] = []

    def reply(**said: Any) -> None:
        replies.append(str(said.get("text")))

    assert reporting.tick(services, utcnow()) == 0
    reporting.submit_assessment(services, channel, Answers(criteria={"death": "yes"}), ALICE, reply)
    roles.assign(services, channel, Role.LEGAL_LIAISON, BOB, ALICE, reply)
    assert "reporting is off" in replies[0] and "reporting is off" in replies[1]
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        part = summary_part(session, services.settings, incident)
        shown = reading.readable(render(summary_blocks(incident, reporting=part)))
        assert session.get(SeriousCase, incident_id) is None
    assert part is None and "Legal" not in shown and "Serious" not in shown
    assert _said(slack, channel) == []


def test_evidence_is_kept_before_a_change_and_exported_with_its_digest(
    services: Services,
    slack: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: Any,
) -> None:
    import hashlib

    from bot.containment.mlflow import RegistryError
    from bot.incidents import timeline
    from bot.incidents.kinds import EventKind

    incident_id, channel = _incident(services, slack, Severity.SEV1)
    minor_id, minor_channel = _incident(services, slack, Severity.SEV3)
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        timeline.record(
            session, incident, EventKind.DRIFT_FOUND, "3 of 5 features drifted", psi=0.31
        )
    replies: list[str] = []

    def reply(**said: Any) -> None:
        replies.append(str(said.get("text")))

    registry = {"model": "fraud-scorer", "serving": 7, "versions": [{"version": 7, "run_id": "r7"}]}
    change = "rolling back fraud-scorer from v7 to v6"
    # Not yet assessed at SEV1: kept first, and the channel is told so.
    first = reporting.evidence_first(
        services, channel, incident_id, ALICE, change, lambda: registry
    )
    assert first is not None
    said = _said(slack, channel)[-1]
    assert said == f":lock: Evidence preserved (sha256 {first[:4]}…); {change}."

    def down() -> dict[str, Any]:
        raise RegistryError("503 from the tracking server")

    second = reporting.evidence_first(services, channel, incident_id, ALICE, change, down)
    assert second is not None and "could not be read" in _said(slack, channel)[-1]
    # A SEV3 nobody assessed serious changes without it.
    assert reporting.evidence_first(services, minor_channel, minor_id, ALICE, change, None) is None

    monkeypatch.setenv("DATABASE_URL", services.db.engine.url.render_as_string(hide_password=False))
    assert cli.main(["evidence", f"INC-{incident_id}", "-o", str(tmp_path)]) == 0
    sums = (tmp_path / "SHA256SUMS").read_text().splitlines()
    assert [line.split()[0] for line in sums] == [first, second]
    for line in sums:
        digest, name = line.split()
        kept = (tmp_path / name).read_bytes()
        assert hashlib.sha256(kept).hexdigest() == digest
    record = json.loads((tmp_path / sums[0].split()[1]).read_text())
    assert record["registry"]["serving"] == 7 and record["findings"][0]["facts"]["psi"] == 0.31
    assert json.loads((tmp_path / sums[1].split()[1]).read_text())["registry_not_read"].endswith(
        "503 from the tracking server"
    )
    capsys.readouterr()


def test_a_fairness_breach_offers_it_and_the_clock_outlives_resolving(
    services: Services, slack: SlackStandIn
) -> None:
    from bot.incidents import timeline
    from bot.incidents.kinds import EventKind
    from bot.slack.listeners.commands.reporting import parse_assess

    incident_id, channel = _incident(services, slack, Severity.SEV3)
    replies: list[str] = []

    def reply(**said: Any) -> None:
        replies.append(str(said.get("text")))

    now = utcnow()
    assert reporting.tick(services, now) == 0  # a SEV3 with nothing found: not offered
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        timeline.record(
            session, incident, EventKind.FAIRNESS_FOUND, "Four-fifths rule breached", breached=True
        )
    assert reporting.tick(services, now) == 1
    assert "a fairness finding breaches the four-fifths rule" in _said(slack, channel)[-1]

    health = Answers(criteria={"health": "yes"}, causal="established")
    reporting.submit_assessment(services, channel, health, ALICE, reply)  # the Commander
    with services.db.begin() as session:
        case = session.get(SeriousCase, incident_id)
        assert case is not None and case.aware_at is not None and case.due_at is not None
        aware, due = case.aware_at, case.due_at
    assert due - aware == timedelta(days=15)

    # Legal knew two days earlier: awareness corrected (by the Commander, with why).
    earlier = (aware - timedelta(days=2)).replace(second=0, microsecond=0)
    asked = parse_assess(f"aware {earlier:%Y-%m-%d %H:%M} a complaint reached legal by email")
    assert asked is not None and asked.when == earlier
    reporting.correct_awareness(services, channel, asked.when, "", ALICE, reply)
    assert replies[-1].startswith("Say why")
    reporting.correct_awareness(services, channel, asked.when, asked.why, CARA, reply)
    assert replies[-1].startswith("Only the Incident Commander")
    reporting.correct_awareness(services, channel, asked.when, asked.why, ALICE, reply)
    with services.db.begin() as session:
        case = session.get(SeriousCase, incident_id)
        assert case is not None and case.due_at == earlier + timedelta(days=15)
        incident = session.get(Incident, incident_id)
        assert incident is not None
        incident.status = "resolved"  # resolving does not stop the clock
    assert reporting.tick(services, earlier + timedelta(days=16)) == 1
    assert "report overdue by 1 day" in _said(slack, channel)[-1]
    assert f"<@{ALICE}>" in _said(slack, channel)[-1]  # nobody is Legal Liaison: the Commander
