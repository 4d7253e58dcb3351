"""Regimes are data, checked when read; the clock's deadlines and reminders follow the
regime, at any moment the test names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import ConfigError, load_settings
from bot.reporting import clock
from bot.reporting.regimes import Answers, RegimeError, load, parse
from bot.store.db import Database
from bot.store.models import Incident

AWARE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def eu():  # type: ignore[no-untyped-def]
    (regime,) = load("eu-ai-act")
    return regime


def test_reporting_is_off_unless_a_regime_is_named() -> None:
    assert not load_settings({}).reporting.on
    on = load_settings(
        {
            "INCIDENTBOT_REPORTING": "eu-ai-act",
            "INCIDENTBOT_PROVIDER_NAME": "Acme Payments",
            "INCIDENTBOT_REPORTING_CONTACT": "legal@acme.example",
        }
    ).reporting
    assert on.on and on.regime.name == "eu-ai-act" and on.provider == "Acme Payments"
    assert on.regime.criterion("death").days == 10  # type: ignore[union-attr]


def test_a_team_adds_its_own_regime_and_a_bad_one_is_named(tmp_path: Path) -> None:
    (tmp_path / "internal.toml").write_text(
        'name = "internal"\ntitle = "Our policy"\nauthority = "the risk committee"\ndays = 3\n'
        '[[criteria]]\nkey = "customers"\nlabel = "harm to customers"\n'
        'question = "Were customers harmed?"\n',
        encoding="utf-8",
    )
    settings = load_settings(
        {"INCIDENTBOT_REPORTING": "eu-ai-act,internal", "INCIDENTBOT_REGIMES_DIR": str(tmp_path)}
    ).reporting
    assert [r.name for r in settings.regimes] == ["eu-ai-act", "internal"]
    assert settings.regimes[1].criteria[0].days == 3  # the regime's own days by default

    with pytest.raises(ConfigError, match="'gdpr', which is no regime here"):
        load_settings({"INCIDENTBOT_REPORTING": "gdpr"})
    with pytest.raises(RegimeError, match="names fields the report does not know: shoe_size"):
        parse(
            'name = "x"\ntitle = "X"\nauthority = "A"\ndays = 5\n[[criteria]]\nkey = "a"\n'
            'label = "a"\nquestion = "a?"\n[[sections]]\ntitle = "S"\nfields = ["shoe_size"]\n',
            "x.toml",
        )
    with pytest.raises(RegimeError, match="criterion 1 has member_states, which a criterion"):
        parse(
            'name = "x"\ntitle = "X"\nauthority = "A"\ndays = 5\n[[criteria]]\nkey = "a"\n'
            'label = "a"\nquestion = "a?"\nmember_states = ["DE"]\n',
            "x.toml",
        )
    with pytest.raises(RegimeError, match="days must be a whole number of days"):
        parse('name = "x"\ntitle = "X"\nauthority = "A"\ndays = 0\n', "x.toml")


@pytest.mark.parametrize(
    ("yes", "widespread", "days", "reason"),
    [
        (["health"], "no", 15, "a serious incident"),
        (["health", "death"], "no", 10, "the death of a person"),
        (["critical-infrastructure"], "unknown", 2, "a serious and irreversible disruption"),
        (["fundamental-rights"], "yes", 2, "a widespread infringement"),
    ],
)
def test_the_deadline_is_the_shortest_any_answer_sets(
    yes: list[str], widespread: str, days: int, reason: str
) -> None:
    answers = Answers(criteria={k: "yes" for k in yes}, widespread=widespread)
    found = clock.deadline(eu(), answers)
    assert found.days == days and found.reason.startswith(reason)
    assert found.due(AWARE) == AWARE + timedelta(days=days)
    assert found.due(AWARE, speed=24) == AWARE + timedelta(hours=days)  # a drill at 24x


def test_reminders_at_half_time_a_day_before_and_every_day_when_overdue() -> None:
    due = AWARE + timedelta(days=15)
    assert clock.reminders(AWARE, due) == (AWARE + timedelta(days=7.5), due - timedelta(days=1))
    two = AWARE + timedelta(days=2)
    assert clock.reminders(AWARE, two) == (AWARE + timedelta(days=1), two - timedelta(hours=6))
    assert clock.next_reminder(AWARE, due, AWARE) == AWARE + timedelta(days=7.5)
    assert clock.next_reminder(AWARE, due, due - timedelta(hours=1)) == due
    assert clock.next_reminder(AWARE, due, due) == due + timedelta(days=1)
    assert clock.next_reminder(AWARE, due, due + timedelta(days=3, hours=2)) == due + timedelta(
        days=4
    )


def test_how_the_deadline_reads() -> None:
    due = datetime(2026, 12, 22, 9, 0, tzinfo=UTC)
    assert clock.due_words(due, AWARE) == "report due Tue 22 Dec, in 15 days"
    assert clock.due_words(due, due - timedelta(hours=5)) == "report due Tue 22 Dec, in 5 hours"
    assert (
        clock.due_words(due, due + timedelta(days=2))
        == "report overdue by 2 days (was due Tue 22 Dec)"
    )
    assert (
        clock.due_words(due, AWARE, sent_at=due - timedelta(days=1))
        == "initial report sent on time (due Tue 22 Dec)"
    )
    assert clock.due_words(due, AWARE, drill=True).startswith("report would have been due Tue 22")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("authority-report", "Usage: `/incident authority-report initial`"),
        ("authority-report final", "Usage: `/incident authority-report initial`"),
        ("authority-report sent", "Usage: `/incident authority-report initial`"),
        ("authority-report sent initial " + "x" * 201, "Keep the authority's reference to 200"),
        ("assess yes", "Usage: `/incident assess` (a form)"),
        ("assess aware 2026-02-30 09:10 why", "2026-02-30 09:10 is not a date and time"),
    ],
)
def test_bad_reporting_commands_are_refused_with_the_usage(text: str, said: str) -> None:
    from bot.incidents.errors import InvalidInput
    from bot.slack.listeners.commands import subcommands

    with pytest.raises(InvalidInput, match=re.escape(said)):
        subcommands.parse(text, subcommands.ALL_FEATURES)


def test_what_offers_the_assessment_on_its_own() -> None:
    from bot.reporting.assessment import offer_reason
    from bot.store.models import Incident

    def incident(severity: str, category: str | None = None) -> Incident:
        return Incident(id=7, title="t", severity=severity, failure_category=category)

    assert offer_reason(incident("sev2"), False) == "INC-7 is SEV2"
    assert offer_reason(incident("sev3", "bias-fairness"), False) == (
        "INC-7 is a case of bias or fairness violation"
    )
    assert offer_reason(incident("sev4", "harmful-output"), False) is not None
    assert offer_reason(incident("sev4", "data-leak"), False) is not None
    assert offer_reason(incident("sev3", "data-drift"), False) is None
    assert (
        offer_reason(incident("sev3"), True) == "a fairness finding breaches the four-fifths rule"
    )


def test_a_complete_report_after_an_initial_one_on_time_is_not_late() -> None:
    """The deadline is for the first report; the summary said 'sent 5 days late'."""
    from datetime import UTC, datetime, timedelta

    from bot.reporting.assessment import clock_phrase
    from bot.store.models import Incident
    from bot.store.models.reporting import SeriousCase

    due = datetime(2026, 12, 22, tzinfo=UTC)
    case = SeriousCase(due_at=due, initial_sent_at=due - timedelta(days=3))
    after = due + timedelta(days=6)
    assert clock_phrase(case, Incident(), after) == (
        "initial report sent on time (due Tue 22 Dec); the complete report is still to follow"
    )
    case.complete_sent_at = due + timedelta(days=5)
    assert "late" not in clock_phrase(case, Incident(), after)


def test_open_incidents_that_never_call_for_it_do_not_hide_one_that_does(db: Database) -> None:
    """The offer looked at the newest 200 open incidents: 200 open SEV4s that will never be
    offered the assessment kept an older SEV1 from ever being offered it."""
    from bot.incidents.declare import Declaration, declare
    from bot.incidents.severity import Severity
    from bot.reporting.assessment import offer_candidates

    with db.begin() as session:
        serious = declare(session, Declaration("Fraud model blocks payments", Severity.SEV1, "U1"))
        for n in range(200):
            declare(session, Declaration(f"Minor feature lag {n}", Severity.SEV4, "U1"))
        for incident in session.scalars(select(Incident)):
            incident.channel_id, incident.provisioned_at = f"C{incident.id:08d}", AWARE
        reference = serious.reference
    with db.begin() as session:
        found = [(incident.reference, reason) for incident, reason in offer_candidates(session)]
    assert found == [(reference, f"{reference} is SEV1")]
