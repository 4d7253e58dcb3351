"""``incidentbot report`` as a person runs it, on the story's database."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.store.db import Database
from tests.review import story
from tests.support import run_cli as run

PNG = b"\x89PNG\r\n\x1a\n"


def test_html_report_with_its_charts_inside(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    story.build(db)
    out = tmp_path / "review.html"
    result = run("report", "--quarter", "2026Q3", "-o", str(out), DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert html.startswith("<!doctype html>") and "Incident review 2026Q3" in html
    assert "<strong>5 incidents</strong> (1 in 2026Q2)" in html
    assert "(page to acknowledgement is counted from the page); corrected key times are " in html
    assert html.count("data:image/png;base64,") == 3
    assert story.SECRET not in html and "<img src=x" not in html
    assert "Drills are left out." in html


def test_markdown_report_writes_its_charts_beside_it(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    story.build(db)
    out = tmp_path / "review.md"
    result = run(
        "report",
        "--from",
        "2026-07-01",
        "--to",
        "2026-09-30",
        "--include-drills",
        "-o",
        str(out),
        DATABASE_URL=database_url,
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "# Incident review 2026-07-01 to 2026-09-30" in text
    assert "**6 incidents**" in text and "Drills are included (1)." in text
    charts = sorted(tmp_path.glob("review-*.png"))
    assert [c.name for c in charts] == [
        "review-2026-07-01-to-2026-09-30-categories.png",
        "review-2026-07-01-to-2026-09-30-resolve.png",
        "review-2026-07-01-to-2026-09-30-weekly.png",
    ]
    assert all(c.read_bytes().startswith(PNG) for c in charts)
    assert all(f"]({c.name})" in text for c in charts)


def test_csv_log_on_standard_output(db: Database, database_url: str) -> None:
    ids = story.build(db)
    result = run("report", "--quarter", "2026q3", "--format", "csv", DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["reference"] for r in rows] == [f"INC-{ids[k]}" for k in "ABCDF"]
    assert rows[-1]["title"].startswith("'=HYPERLINK")


def test_bad_requests_are_refused_with_a_reason(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    assert run("migrate", DATABASE_URL=url).returncode == 0
    bad_quarter = run("report", "--quarter", "2026Q5", DATABASE_URL=url)
    assert bad_quarter.returncode == 2 and "is not a quarter" in bad_quarter.stderr
    both = run("report", "--quarter", "2026Q4", "--from", "2026-10-01", DATABASE_URL=url)
    assert both.returncode == 2 and "not both" in both.stderr
    unknown = run("report", "-o", str(tmp_path / "review.pdf"), DATABASE_URL=url)
    assert unknown.returncode == 2 and "add --format" in unknown.stderr
    assert not (tmp_path / "review.pdf").exists()
    nowhere = run("report", "-o", str(tmp_path / "missing" / "review.html"), DATABASE_URL=url)
    assert nowhere.returncode == 2 and "there is no folder" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr
    unmigrated = run("report", DATABASE_URL=f"sqlite:///{tmp_path}/none.db")
    assert unmigrated.returncode == 2 and "incidentbot migrate" in unmigrated.stderr


def test_a_broken_custom_template_names_its_line_and_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    assert run("migrate", DATABASE_URL=url).returncode == 0
    mine = tmp_path / "templates" / "review"
    mine.mkdir(parents=True)
    (mine / "report.md.j2").write_text("# Review\n\n{% for x in %}\n")
    out = tmp_path / "review.md"
    result = run(
        "report",
        "-o",
        str(out),
        DATABASE_URL=url,
        INCIDENTBOT_TEMPLATES_DIR=str(tmp_path / "templates"),
    )
    assert result.returncode == 1 and "is broken at line 3" in result.stderr
    assert "report.md.j2" in result.stderr and not out.exists()
