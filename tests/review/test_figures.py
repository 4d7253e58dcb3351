"""The review's figures against the story's answers, worked out by hand in tests/review/story.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from bot.incidents import key_times, timeline
from bot.incidents.reminders import add_business_days
from bot.review import figures, period, render
from bot.review.figures import Review
from bot.store.db import Database
from bot.store.models import Incident
from tests.review import story


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    return story.build(db)


def review_of(db: Database, quarter: str = "2026Q3", *, drills: bool = False) -> Review:
    return figures.make(
        db, period.parse_quarter(quarter), story.CADENCE, story.NOW, include_drills=drills
    )


def minutes(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds() / 60


def test_counts_by_severity_category_model_and_detection(db: Database, ids: dict[str, int]) -> None:
    c = review_of(db).figures["counts"]
    assert (c["total"], c["previous_total"], c["open"]) == (5, 1, 1)
    assert [(r["name"], r["count"], r["previous"]) for r in c["severity"]] == [
        ("sev1", 2, 1),
        ("sev2", 1, 0),
        ("sev3", 1, 0),
        ("sev4", 1, 0),
    ]
    assert {r["name"]: r["count"] for r in c["detection"]} == {
        "alert": 2,
        "person": 0,
        "external report": 1,  # F, as its declarer said
        # declared by a person who did not say, triage not asked: their post-mortems say
        # "Nobody has said whether an alert fired", and so does the review
        "not said": 2,
    }
    assert {r["name"]: (r["count"], r["previous"]) for r in c["category"]} == {
        "Data drift": (2, 1),
        "Concept drift": (1, 0),
        "Data leak (memorisation, prompt injection)": (1, 0),
        "(not named)": (1, 0),
    }
    assert {r["name"]: r["count"] for r in c["model"]} == {
        "fraud-scorer": 2,
        "recsys-ranker": 1,
        "(private)": 1,  # D's model is not named: it could say what its title would
        "(not named)": 1,
    }


def test_durations_per_severity_with_corrections_winning(db: Database, ids: dict[str, int]) -> None:
    rows = {(r["severity"], r["key"]): r for r in review_of(db).figures["durations"]}
    # SEV1: A and B. Detect 10 and 180 min (B's first signal corrected to 11:00).
    assert minutes(rows["sev1", "detect"]["median"]) == 95
    assert minutes(rows["sev1", "detect"]["p90"]) == pytest.approx(163)
    # Resolve 120 and 270 (B's resolution corrected to 15:30): median 195, p90 255.
    assert minutes(rows["sev1", "resolve"]["median"]) == 195
    assert minutes(rows["sev1", "resolve"]["p90"]) == pytest.approx(255)
    assert minutes(rows["sev1", "resolve"]["previous"]["median"]) == 120  # G, in 2026Q2
    assert minutes(rows["sev1", "mitigate"]["median"]) == 150  # 60 and 240
    assert [minutes(rows["sev2", k]["median"]) for k in ("detect", "acknowledge", "mitigate")] == [
        5,
        180,
        240,
    ]
    assert minutes(rows["sev2", "resolve"]["median"]) == 300
    # D is open: known to acknowledge, nothing to resolve.
    assert rows["sev3", "acknowledge"]["n"] == 1 and rows["sev3", "resolve"]["n"] == 0
    assert minutes(rows["sev4", "mitigate"]["median"]) == 120  # taken as resolved
    # Only A paged: its on-call answered 7 min after the page; B never paged.
    assert rows["sev1", "answer_page"]["n"] == 1
    assert minutes(rows["sev1", "answer_page"]["median"]) == 7
    assert rows["sev2", "answer_page"]["n"] == 0


def test_key_times_agree_with_the_post_mortem_for_every_incident(
    db: Database, ids: dict[str, int]
) -> None:
    frame = review_of(db, drills=True).incidents
    with db.begin() as session:
        for incident_id in frame.index:
            incident = session.get(Incident, int(incident_id))
            assert incident is not None
            known = key_times.of(session, incident)
            for which in filter(lambda k: k.of_the_response, key_times.KeyTime):
                ours = frame.loc[incident_id, which.value]
                theirs = known.at(which)
                assert (None if pd.isna(ours) else ours.to_pydatetime()) == theirs, (
                    incident_id,
                    which,
                )


def test_missed_expected_responses_name_incidents_but_not_private_titles(
    db: Database, ids: dict[str, int]
) -> None:
    found = review_of(db).figures["missed"]
    assert (found["total"], found["more"]) == (3, 0)
    assert found["by_severity"] == {"sev1": 1, "sev2": 1, "sev3": 1, "sev4": 0}
    missed = {m["reference"]: m for m in found["listed"]}
    assert set(missed) == {f"INC-{ids['B']}", f"INC-{ids['C']}", f"INC-{ids['D']}"}
    assert missed[f"INC-{ids['B']}"]["problems"] == [
        "first notice after 45 min (expected within 30 min)"
    ]
    assert missed[f"INC-{ids['C']}"]["problems"] == [
        "acknowledged after 2 h 55 min (expected within 2 h)",
        "first notice after 3 h 5 min (expected within 2 h)",
    ]
    private = missed[f"INC-{ids['D']}"]
    assert private["problems"] == ["no notice sent (expected within 8 h)"]
    assert private["title"] is None and private["private"]


def test_recurrence_follow_through_and_communication(db: Database, ids: dict[str, int]) -> None:
    f = review_of(db).figures
    r = f["recurrence"]
    assert r["models"] == [{"name": "fraud-scorer", "count": 2, "previous": 1}]
    assert r["categories"] == [{"name": "Data drift", "count": 2, "previous": 1}]
    assert r["causes"] == [{"name": "data", "count": 2}] and r["without_cause"] == 3
    t = f["follow_through"]
    assert t["actions"] == {"opened": 3, "closed": 1, "open": 2, "overdue": 1}
    assert t["postmortems"] == {"owed": 3, "on_time": 1, "late": 1, "missing": 1, "not_due": 0}
    assert t["previous_postmortems"]["missing"] == 1
    c = f["communication"]["now"]
    assert (c["updates"], c["on_cadence"], c["share"]) == (8, 4, 0.5)
    assert c["without_notice"] == 1
    sev1 = c["first_notice"]["sev1"]
    assert (minutes(sev1["median"]), minutes(sev1["p90"])) == (30, pytest.approx(42))


def test_drills_are_left_out_unless_asked_for(db: Database, ids: dict[str, int]) -> None:
    without = review_of(db)
    assert ids["E"] not in without.incidents.index and without.figures["drills"] == 0
    counted = review_of(db, drills=True)
    assert counted.figures["counts"]["total"] == 6 and counted.figures["drills"] == 1
    assert ids["E"] in counted.incidents.index


def test_an_empty_period_reads_as_empty(db: Database, ids: dict[str, int]) -> None:
    review = review_of(db, "2025Q1")
    assert review.figures["counts"]["total"] == 0
    assert review.figures["communication"]["now"]["share"] is None
    html = render.produce(review, "html").text
    assert "<strong>0 incidents</strong>" in html


def test_no_format_shows_a_private_title_and_html_escapes_what_people_wrote(
    db: Database, ids: dict[str, int]
) -> None:
    review = review_of(db)
    for fmt in ("html", "md", "csv"):
        text = render.produce(review, fmt, charts=False).text
        assert story.SECRET not in text and "support-llm" not in text, fmt
    html = render.produce(review, "html").text
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    assert html.count('src="data:image/png;base64,') == 3
    md = render.produce(review, "md", charts=False).text
    assert "<img" not in md and "&lt;img src=x" in md


def test_the_csv_log_neutralises_formulas(db: Database, ids: dict[str, int]) -> None:
    log = render.produce(review_of(db), "csv").text
    rows = pd.read_csv(pd.io.common.StringIO(log), dtype=str, keep_default_na=False)
    assert list(rows.reference) == [f"INC-{ids[k]}" for k in "ABCDF"]
    by = rows.set_index("reference")
    assert by.loc[f"INC-{ids['F']}", "title"] == "'" + story.FORMULA
    assert (
        by.loc[f"INC-{ids['D']}", "title"] == "" and by.loc[f"INC-{ids['D']}", "private"] == "yes"
    )
    assert by.loc[f"INC-{ids['B']}", "minutes_to_resolve"] == "270.0"
    assert by.loc[f"INC-{ids['A']}", "detection"] == "alert"
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "plain"):
        assert render.neutralised(cell) == (cell if cell == "plain" else "'" + cell)


def test_post_mortem_due_dates_match_the_reminders_for_every_weekday() -> None:
    start = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # a Monday
    resolved = pd.Series(pd.to_datetime([start + timedelta(days=d, hours=d) for d in range(14)]))
    due = figures.postmortem_due(resolved)
    for moment, expected in zip(resolved, due, strict=True):
        assert expected.to_pydatetime() == add_business_days(moment.to_pydatetime(), 5)


@pytest.mark.parametrize(
    ("words", "label", "previous"),
    [
        ({"quarter": "2026Q4"}, "2026Q4", "2026Q3"),
        ({"quarter": "q1 2026"}, "2026Q1", "2025Q4"),
        (
            {"since": "2026-10-01", "until": "2026-10-31"},
            "2026-10-01 to 2026-10-31",
            "2026-08-31 to 2026-09-30",
        ),
        ({}, "2026Q4", "2026Q3"),
    ],
)
def test_periods(words: dict[str, str], label: str, previous: str) -> None:
    chosen = period.choose(today=datetime(2026, 12, 1).date(), **words)
    assert (chosen.label, chosen.previous().label) == (label, previous)


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ({"quarter": "2026Q5"}, "is not a quarter"),
        ({"quarter": "2026Q4", "since": "2026-01-01"}, "not both"),
        ({"since": "2026-10-01"}, "both its first and its last day"),
        ({"since": "2026-10-01", "until": "2026-09-01"}, "ends (2026-09-01) before it starts"),
        ({"since": "yesterday", "until": "2026-09-01"}, "is not a date"),
        ({"since": "2020-01-01", "until": "2026-09-01"}, "at most three years"),
    ],
)
def test_bad_periods_are_refused_with_a_reason(words: dict[str, str], said: str) -> None:
    from bot.incidents.errors import InvalidInput

    with pytest.raises(InvalidInput, match=said.replace("(", r"\(").replace(")", r"\)")):
        period.choose(today=datetime(2026, 12, 1).date(), **words)


def test_fairness_findings_are_counted_per_model_private_ones_unnamed(
    db: Database, ids: dict[str, int]
) -> None:
    findings = [("A", True), ("A", False), ("C", True), ("D", True), ("G", False)]
    with db.begin() as session:
        for letter, breached in findings:
            incident = session.get(Incident, ids[letter])
            assert incident is not None
            when = incident.declared_at + timedelta(minutes=30)
            timeline.record(
                session, incident, "fairness_found", "Selection rate…", when=when, breached=breached
            )
    review = review_of(db)
    name = review.incidents.model_or_service
    a, c = name[ids["A"]], name[ids["C"]]
    assert name[ids["D"]] == figures.PRIVATE
    rows = {row["name"]: row for row in review.figures["fairness"]}
    assert rows[a] == {
        "name": a,
        "findings": 2,
        "breaches": 1,
        "previous": 1 if a == "fraud-scorer" else 0,
    }
    assert rows[c] == {"name": c, "findings": 1, "breaches": 1, "previous": 0}
    assert rows[figures.PRIVATE] == {
        "name": figures.PRIVATE,
        "findings": 1,
        "breaches": 1,
        "previous": 0,
    }
    assert review.figures["fairness"][0]["name"] == a  # most findings first
    text = render.produce(review, "md").text
    assert f"| {a} | 2 | 1 |" in text and story.SECRET not in text
    assert "Fairness findings per model" in render.produce(review, "html").text


def test_the_stats_message_counts_in_words_that_agree(db: Database, ids: dict[str, int]) -> None:
    from dataclasses import replace

    from bot.sandbox.reading import readable
    from bot.slack.blocks import stats_summary

    review = review_of(db)

    def said(r: Review) -> str:
        blocks = stats_summary.summary(r, charts_where="Charts follow.")
        return readable([b.to_dict() for b in blocks])

    text = said(review)
    assert stats_summary.text(review) == "Incident review 2026Q3: 5 incidents"
    assert "*5 incidents* (1 in 2026Q2)" in text
    assert "*Expected response missed* in 3 incidents: INC-" in text
    assert "1 published late, 1 overdue, not published" in text
    # Incidents, but no time measured yet: not "No incidents."
    unmeasured = [{**row, "n": 0} for row in review.figures["durations"]]
    quiet = replace(review, figures={**review.figures, "durations": unmeasured})
    assert "No response times measured yet." in said(quiet) and "No incidents." not in said(quiet)
    empty = review_of(db, "2025Q1")
    assert "No incidents." in said(empty) and "*0 incidents*" in said(empty)
    assert "every incident met its severity's expected response." in said(empty)


def test_a_chart_labels_a_time_as_the_table_says_it() -> None:
    """3 min 42 s read '3 min' in the table and '4 min' beside its point on the chart."""
    from datetime import timedelta

    from bot.incidents.key_times import spoken
    from bot.review.charts import _hours

    took = timedelta(minutes=3, seconds=42)
    assert _hours(took.total_seconds() / 3600) == spoken(took) == "3 min"
    assert _hours(2 + 5 / 60) == "2 h 5 min"


def test_detection_counts_what_the_post_mortems_say(db: Database) -> None:
    """Triage's answer to "Did a monitoring alert fire?" decides the review's count as it
    decides the post-mortem's Detection section (no alert record on the incident)."""
    from tests.documents.test_postmortem import declared_by_hand, document, sections

    yes, no, unsaid = (declared_by_hand(db, answer) for answer in ("yes", "no", None))
    assert "An alert fired (triage answer by @bob)" in sections(document(db, yes), "Detection")
    with db.begin() as session:
        declared = session.get(Incident, yes).declared_at  # type: ignore[union-attr]
    now = declared + timedelta(days=1)
    review = figures.make(
        db, period.current_quarter(declared.date()), story.CADENCE, now, include_drills=False
    )
    log = render.produce(review, "csv").text
    rows = pd.read_csv(pd.io.common.StringIO(log), dtype=str, keep_default_na=False)
    found = rows.set_index("reference").detection
    assert found[f"INC-{yes}"] == "alert"
    assert found[f"INC-{no}"] == "person"
    assert found[f"INC-{unsaid}"] == "not said"
    report = render.produce(review, "md", charts=False).text
    assert "| alert | 1 | 0 |\n| person | 1 | 0 |\n| external report | 0 | 0 |\n" in report
    assert "| not said | 1 | 0 |" in report
