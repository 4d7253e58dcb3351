"""The post-mortem document: assembled from the timeline, rendered from our templates or a
team's own, and exported by ``incidentbot postmortem``."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.documents.postmortem import PostmortemError, assemble, produce, render
from bot.incidents import notes, timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.resolve import resolve
from bot.incidents.severity import Severity
from bot.store.db import Database
from bot.store.models import Incident, utcnow
from tests import support
from tests.incidents.helpers import steering

BOB, CARA = "U0BOB0002", "U0CARA003"


def story(db: Database, *, resolved: bool = True) -> int:
    """An alert-opened SEV1 with the usual history; returns its ID."""
    start = utcnow() - timedelta(hours=5)
    with db.begin() as session:
        incident = declare(
            session,
            Declaration(
                title="Fraud model <b>flags</b> 40% of payments",
                severity=Severity.SEV1,
                declared_by=None,
                detected_by="Alertmanager: FraudPrecisionLow",
                service="fraud-scorer",
            ),
            now=start + timedelta(minutes=35),
        )
        incident.detected_at = start
        timeline.record(
            session,
            incident,
            "alert_fired",
            "Alertmanager alert fired: FraudPrecisionLow",
            when=start,
            source="alertmanager",
            labels={"model_version": "v42", "severity": "critical"},
            annotations={"summary": "precision 0.41"},
        )
        timeline.record(
            session,
            incident,
            "role_assigned",
            "Bob is Incident Commander",
            actor="U0BOB0002",
            when=start + timedelta(minutes=40),
        )
        timeline.record(
            session,
            incident,
            "triage_answered",
            "Triage: impact Significant harm now",
            actor="U0BOB0002",
            when=start + timedelta(minutes=45),
            question="impact",
            answer="harm",
        )
        timeline.record(
            session,
            incident,
            "status_update",
            "First notice: …",
            actor="U0CARA003",
            when=start + timedelta(minutes=50),
            update_kind="first_notice",
            message="Payments are being declined; we are rolling back.",
        )
        timeline.record(
            session,
            incident,
            "drift_found",
            "3 of 12 features drifted — data set drift: no (amount, country, latency_ms)",
            actor="U0BOB0002",
            when=start + timedelta(minutes=55),
            reference="https://data.example.com/march.csv",
            current="https://data.example.com/today.csv",
        )
        notes.add_note(session, incident, "Rolled back to v41 <script>x</script>", by="U0BOB0002")
        item = notes.add_action(
            session,
            incident,
            notes.ActionItem("Alert on null rates", "U0CARA003", date(2030, 1, 31)),
            by="U0BOB0002",
        )
        notes.add_action(session, incident, notes.ActionItem("Retrain", None, None), by=None)
        session.flush()
        notes.close_action(session, incident, item.id, by="U0CARA003")
        if resolved:
            resolve(session, incident, **steering("U0BOB0002"), summary="Rolled back to v41")
        return incident.id


def load(db: Database, incident_id: int, fmt: str, **kw: object) -> str:
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        document, png = produce(session, incident, fmt, **kw)  # type: ignore[arg-type]
    assert png.startswith(b"\x89PNG")
    return document.text


def test_markdown_fills_what_the_timeline_knows_and_prompts_for_the_rest(db: Database) -> None:
    text = load(db, story(db), "md")
    assert text.startswith("# Post-mortem INC-1: Fraud model &lt;b&gt;flags&lt;/b&gt; 40%")
    assert "DRAFT" not in text
    for heading in (
        "## Summary",
        "## Impact in business terms",
        "## Key times",
        "## Timeline",
        "## Detection",
        "## Response",
        "## Root cause",
        "## Data and model lineage",
        "## What went well",
        "## What went badly",
        "## Action items",
        "## Communication review",
    ):
        assert heading in text
    assert "| Time to detect | 35 min |" in text
    assert "| Time to acknowledge | 40 min |" in text
    assert "| Time to resolve | 5 h" in text
    # Resolved, it is told in the past: no harm "now" in the severity's meaning or the impact.
    assert "- Severity SEV1: Predictions were causing significant harm: money lost" in text
    assert "Impact reported in triage: Significant harm\n" in text
    assert "What is the business impact right now? **Significant harm**\n" in text
    # People's and alerts' words are Markdown-escaped: no link, emphasis or code they
    # did not write (underscores, URLs that would autolink).
    assert "Model versions named by alerts: model\\_version=v42" in text
    assert ": model\\_version=v42, severity=critical" in text
    # The alert is named once, by its title, with its source as people write it.
    assert "The first signal was an alert: FraudPrecisionLow at " in text
    assert "- Alert FraudPrecisionLow (Alertmanager, " in text
    assert (
        "3 of 12 features drifted — data set drift: no (amount, country, latency\\_ms) "
        "(reference https\\://data.example.com/march.csv, current "
        "https\\://data.example.com/today.csv)"
    ) in text
    assert "| done | Alert on null rates | @U0CARA003 | 2030-01-31 |" in text
    assert "| open | Retrain | unassigned | no date |" in text
    assert "Rolled back to v41 &lt;script&gt;x&lt;/script&gt;" in text
    assert "1 status update; the first 15 min after declaring." in text
    assert "| ML Lead | nobody (the Incident Commander answered for it) |" in text
    assert re.search(r"Generated .* from \d+ timeline events\.", text)
    assert "1. Why did the model's output go wrong? _[Write]_" in text
    assert "Monitoring raised the alert that opened the incident." in text


def test_an_open_incident_gives_a_draft(db: Database) -> None:
    incident_id = story(db, resolved=False)
    text = load(db, incident_id, "md")
    assert "> **DRAFT**: the incident is still open (investigating)." in text
    assert "- Severity SEV1: Predictions are causing significant harm now: money lost" in text
    assert "Impact reported in triage: Significant harm now\n" in text
    # Times still to come say "not yet" once, with no "(how we know)" repeating it.
    assert "| Mitigated | not yet |  |" in text and "| Resolved | not yet |  |" in text
    assert "| Time to resolve | not yet |" in text and "not known" not in text
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        document, _ = produce(session, incident, "md")
    assert document.filename == "postmortem-INC-1-draft.md"


def test_html_escapes_everything_and_embeds_the_chart(db: Database) -> None:
    text = load(db, story(db), "html")
    assert "<h1>Post-mortem INC-1: Fraud model &lt;b&gt;flags&lt;/b&gt;" in text
    assert "<script>" not in text and "&lt;script&gt;x&lt;/script&gt;" in text
    assert 'src="data:image/png;base64,iVBORw0KGgo' in text


def test_a_teams_templates_override_ours_with_the_same_data(db: Database, tmp_path: Path) -> None:
    (tmp_path / "postmortem.md.j2").write_text(
        "{{ incident.reference }} lasted {{ figures[3].duration | duration }}; "
        "{{ open_action_items | length }} open; {{ timeline | length }} events\n"
    )
    incident_id = story(db)
    assert load(db, incident_id, "md", templates_dir=tmp_path).startswith(
        "INC-1 lasted 5 h; 1 open; 11 events"
    )
    assert "<h2>Timeline</h2>" in load(db, incident_id, "html", templates_dir=tmp_path)


@pytest.mark.parametrize(
    ("template", "said"),
    [
        (
            "{% for x in timeline %}{{ x.at }}\n",
            "Unexpected end of template. Jinja was looking for the following tags: 'endfor'",
        ),
        ("{{ incident.nope.deeper }}", "failed: 'dict object' has no attribute 'nope'"),
        # Jinja's immutable sandbox: no way to Python's internals, nothing changed.
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "'__class__' of 'str' object is unsafe"),
        ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "'__init__'"),
        ("{{ timeline.append(1) }}", "'append' of 'list' object is unsafe"),
        ("{{ incident.update({'title': 'x'}) }}", "'update' of 'dict' object is unsafe"),
    ],
)
def test_a_broken_template_is_a_clear_error_not_half_a_document(
    db: Database, tmp_path: Path, template: str, said: str
) -> None:
    (tmp_path / "postmortem.md.j2").write_text(template)
    incident_id = story(db)
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        with pytest.raises(PostmortemError, match=r"postmortem\.md\.j2") as raised:
            render(assemble(session, incident), "md", tmp_path)
    assert said in str(raised.value)


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``incidentbot postmortem ARGS``, forked from the tests' ready command line."""
    return support.run_cli("postmortem", *args, **env)


def test_the_command_line_export(db: Database, database_url: str, tmp_path: Path) -> None:
    story(db)
    out = tmp_path / "pm.html"
    done = run_cli("INC-1", "--format", "html", "-o", str(out), DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("<!doctype html>") and "Key times" in out.read_text()

    shown = run_cli("1", DATABASE_URL=database_url)
    assert shown.returncode == 0 and shown.stdout.startswith("# Post-mortem INC-1:")

    missing = run_cli("INC-99", DATABASE_URL=database_url)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    # Not "give its reference, e.g. INC-99": what was typed was the reference.
    assert "There is no incident INC-99 in this database (the newest is INC-1)." in missing.stderr
    garbled = run_cli("INC-1x", DATABASE_URL=database_url)
    assert garbled.returncode == 1 and "“INC-1x” is not an incident's reference" in garbled.stderr
    pdf = run_cli("INC-1", "-o", str(tmp_path / "pm.pdf"), DATABASE_URL=database_url)
    assert pdf.returncode == 2 and not (tmp_path / "pm.pdf").exists()
    assert "writes Markdown (.md) or HTML (.html), not .pdf" in pdf.stderr
    by_suffix = run_cli("INC-1", "-o", str(tmp_path / "pm2.html"), DATABASE_URL=database_url)
    assert by_suffix.returncode == 0
    assert (tmp_path / "pm2.html").read_text().startswith("<!doctype html>")

    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "postmortem.md.j2").write_text("{% if %}")
    broken_out = tmp_path / "never.md"
    broken = run_cli(
        "INC-1",
        "-o",
        str(broken_out),
        DATABASE_URL=database_url,
        INCIDENTBOT_TEMPLATES_DIR=str(custom),
    )
    assert broken.returncode == 1 and "is broken at line 1" in broken.stderr
    assert not broken_out.exists()

    nowhere = run_cli("INC-1", DATABASE_URL=database_url, INCIDENTBOT_TEMPLATES_DIR="/nonexistent")
    assert nowhere.returncode == 2 and "is not a folder" in nowhere.stderr


def test_markdown_shows_what_people_and_alerts_wrote_as_text(db: Database) -> None:
    tricks = "![](https://tracker.example/p.gif) [x](javascript:alert(1)) a | b *bold* _it_"
    with db.begin() as session:
        incident = declare(
            session,
            Declaration(
                title="# Heading " + tricks,
                severity=Severity.SEV2,
                declared_by="U0EVIL001",
                description="- a list item <img src=x onerror=alert(1)>",
            ),
        )
        notes.add_note(session, incident, "1. numbered " + tricks, by="U0EVIL001")
        incident_id = incident.id
    names = {"U0EVIL001": "[Boss](https://phish.example) **urgent**"}
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        document, _ = produce(session, incident, "md", None, names)
    text = document.text
    # No link, image or emphasis is left unescaped, and no HTML tag at all.
    assert not re.search(r"(?<!\\)\]\(|(?<!\\)\*(bold|urgent)|<img", text)
    assert "# Post-mortem INC-1: \\# Heading !\\[\\](https\\://tracker.example/p.gif)" in text
    assert "a \\| b \\*bold\\* \\_it\\_" in text
    assert "\\- a list item &lt;img src=x onerror=alert(1)&gt;" in text
    assert "1\\. numbered" in text
    assert "\\[Boss\\](https\\://phish.example) \\*\\*urgent\\*\\*" in text  # a display name


def test_people_in_the_timeline_read_by_name_without_slack_markup(db: Database) -> None:
    """Role changes and hand-overs are stored as facts: the document names the people."""
    from bot.incidents.assign_role import assign_role
    from bot.incidents.roles import Role

    with db.begin() as session:
        incident = declare(
            session,
            Declaration(title="Churn model fed nulls", severity=Severity.SEV2, declared_by=BOB),
        )
        assign_role(session, incident, Role.COMMANDER, BOB, by=BOB)
        assign_role(session, incident, Role.ML_LEAD, CARA, by=BOB)
        assign_role(session, incident, Role.ML_LEAD, BOB, by=CARA)
        incident_id = incident.id
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        document, _ = produce(session, incident, "md", None, {BOB: "bob", CARA: "cara"})
    text = document.text
    assert "@bob is Incident Commander" in text
    assert "@cara is ML Lead" in text
    assert "@bob took over as ML Lead from @cara" in text
    assert "<@" not in text and "&lt;@" not in text and "U0BOB0002" not in text


def test_a_paged_incident_shows_the_page_and_how_long_the_on_call_took(db: Database) -> None:
    incident_id = story(db)
    unpaged = load(db, incident_id, "md")
    assert "On-call paged" not in unpaged and "Time from page" not in unpaged
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        paged_at = incident.declared_at + timedelta(minutes=1)
        timeline.record(
            session, incident, "paged", "Paged Fraud model", when=paged_at, service="Fraud model"
        )
        timeline.record(
            session,
            incident,
            "page_acknowledged",
            "Olive acknowledged",
            when=paged_at + timedelta(minutes=6),
            by="Olive_Oncall",
        )
    text = load(db, incident_id, "md")
    assert "| On-call paged |" in text and "paged Fraud model" in text
    assert "acknowledged by Olive\\_Oncall" in text
    assert "| Time from page to acknowledgement | 6 min |" in text


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_model_with_no_serving_version_reads_no_version(db: Database, fmt: str) -> None:
    incident_id = story(db)
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        context = assemble(session, incident)
    lineage = {"model": "fraud", "serving": None, "alias": "champion", "last_good": "7"}
    lineage |= {"serving_since": None, "rolled_back": False, "finding": None}
    text = render({**context, "lineage": lineage}, fmt).text
    served = "**no version**" if fmt == "md" else "<strong>no version</strong>"
    assert f"served {served} through its champion alias" in text and "vnone" not in text
    served = "**v7**" if fmt == "md" else "<strong>v7</strong>"
    assert f"last good: {served}" in text


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_counts_agree_with_their_nouns(db: Database, fmt: str) -> None:
    from bot.documents.postmortem import observations
    from bot.incidents import key_times

    incident_id = story(db)
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        context = assemble(session, incident)
        times = key_times.of(session, incident)
    text = render({**context, "nudges": 1, "event_count": 1}, fmt).text
    assert "The bot nudged for an overdue status update once." in text and "time(s)" not in text
    assert " from 1 timeline event." in text
    unalerted = {"alerts": [], "detection": {**context["detection"], "alerted": False}}
    _, badly = observations({**context, "nudges": 2, **unalerted}, times)
    assert "A status update fell overdue and the bot nudged twice." in badly
    assert "No alert fired: a person noticed first. What monitoring would have caught it?" in badly


def declared_by_hand(db: Database, alert_answer: str | None, note: str | None = None) -> int:
    """A SEV2 a person declared (no alert on the timeline), triage's "Did a monitoring
    alert fire?" answered ``alert_answer`` by Bob, then resolved."""
    from bot.incidents import triage_state

    with db.begin() as session:
        incident = declare(
            session,
            Declaration(
                title="Churn model scores all zero", severity=Severity.SEV2, declared_by=CARA
            ),
        )
        if alert_answer is not None:
            triage_state.answer(session, incident, "alert", alert_answer, by=BOB)
        if note is not None:
            triage_state.add_note(session, incident, "alert", note, by=BOB)
        resolve(session, incident, **steering(BOB), summary="Restored the feature store")
        return incident.id


def document(db: Database, incident_id: int, fmt: str = "md") -> str:
    """The post-mortem's text without its chart (drawing it is the slow part)."""
    with db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        return render(assemble(session, incident, {BOB: "bob", CARA: "cara"}), fmt).text


def sections(text: str, *headings: str) -> str:
    """The Markdown sections under ``headings``, each up to the next heading."""
    return "".join(
        re.search(rf"^## {h}\n(.*?)(?=^## )", text, re.S | re.M).group(1)  # type: ignore[union-attr]
        for h in headings
    )


def test_detection_says_what_triage_answered_about_the_alert(db: Database) -> None:
    yes = declared_by_hand(db, "yes", "ChurnScoresFlat paged at 09:40 <b>")
    no = declared_by_hand(db, "no")
    unsaid = declared_by_hand(db, None)
    md_yes = document(db, yes)
    said = sections(md_yes, "Detection", "What went well", "What went badly")
    assert (
        "An alert fired (triage answer by @bob); @cara declared the incident. "
        "Which alert: ChurnScoresFlat paged at 09:40 &lt;b&gt;"
    ) in said
    assert "Monitoring caught it: an alert fired, though a person declared the incident." in said
    assert "No alert" not in md_yes and "Nobody has said" not in md_yes
    html_yes = document(db, yes, "html")
    assert "<p>An alert fired (triage answer by @bob); @cara declared the incident." in html_yes
    assert "No alert" not in html_yes and "&lt;b&gt;" in html_yes

    said = sections(document(db, no), "Detection", "What went badly")
    assert "No alert fired (triage answer by @bob); @cara declared the incident." in said
    assert "No alert fired: a person noticed first." in said
    said = sections(document(db, unsaid), "Detection", "What went badly")
    assert "Nobody has said whether an alert fired; @cara declared the incident." in said
    assert "No alert fired" not in said

    # An incident an alert opened, with no ``alert_fired`` event (as an older release
    # recorded it) and the question unanswered: the alert is still named.
    with db.begin() as session:
        incident = declare(
            session,
            Declaration(
                title="Fraud precision low",
                severity=Severity.SEV2,
                declared_by=None,
                detected_by="Alertmanager: FraudPrecisionLow",
            ),
        )
        incident_id = incident.id
    said = sections(document(db, incident_id), "Detection", "What went well", "What went badly")
    assert "The first signal was an alert: Alertmanager: FraudPrecisionLow." in said
    assert "Monitoring raised the alert that opened the incident." in said
    assert "No alert" not in said and "Nobody has said" not in said
