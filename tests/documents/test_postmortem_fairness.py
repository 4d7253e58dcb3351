"""A fairness finding in the post-mortem: the verdict, each breakdown's parity and largest
moves and the model's quality in the lineage section, its chart in the HTML (and as its own
attachment on Confluence), and a breach among what went badly."""

from __future__ import annotations

import base64
import re

from bot.app.fairness import kept
from bot.diagnosis.fairness import Request, analyse, mask
from bot.documents.postmortem import assemble, render
from bot.documents.postmortem import chart as timeline_chart
from bot.documents.storage import with_images
from bot.incidents import timeline
from bot.incidents.declare import Declaration, declare
from bot.incidents.kinds import EventKind
from bot.incidents.severity import Severity
from bot.store.db import Database
from tests.diagnosis.fairness_data import windows


def incident_with_finding(db: Database, *, masked: bool) -> int:
    reference, current = windows(5000, 3, seed=41, shifted=1)
    facts = analyse(reference, current, Request((("group",), ("band",)), "score", "label"))
    shown = mask(facts, ["group"]) if masked else facts
    with db.begin() as session:
        incident = declare(
            session,
            Declaration(
                title="Credit model denies a group", severity=Severity.SEV2, declared_by="U0ALICE01"
            ),
        )
        timeline.record(
            session,
            incident,
            EventKind.FAIRNESS_FOUND,
            shown["verdict"],
            actor="U0ALICE01",
            **kept(shown, "march.csv", "today.parquet"),
        )
        return incident.id


def test_markdown_shows_the_verdict_parity_moves_and_quality(db: Database) -> None:
    incident_id = incident_with_finding(db, masked=False)
    with db.begin() as session:
        from bot.store.models import Incident

        context = assemble(session, session.get(Incident, incident_id))
    text = render(context, "md").text
    lineage = text.split("## Data and model lineage")[1].split("## What went well")[0]
    assert "Fairness findings:" in lineage
    assert re.search(r"Selection rate for group g01 fell from [\d.]+% to [\d.]+%", lineage)
    assert "(reference march.csv, current today.parquet)" in lineage
    assert re.search(
        r"By group: parity ratio 0\.\d\d → 0\.\d\d \(four-fifths rule breached\)", lineage
    )
    assert re.search(r"Selection rate, largest moves first: g01 [\d.]+% → [\d.]+%;", lineage)
    assert "By band: parity ratio" in lineage
    assert "Model quality (reference → current): accuracy 0." in lineage and "ROC AUC" in lineage
    badly = text.split("## What went badly")[1].split("##")[0]
    assert "A fairness analysis found the four-fifths rule breached: Selection rate for" in badly


def test_html_embeds_each_findings_chart_and_confluence_attaches_it_apart(db: Database) -> None:
    incident_id = incident_with_finding(db, masked=True)
    with db.begin() as session:
        from bot.store.models import Incident

        context = assemble(session, session.get(Incident, incident_id))
    html = render(context, "html", chart=timeline_chart(context)).text
    words = re.sub(r'src="data:image/png;base64,[^"]+"', "", html)  # base64 may spell anything
    assert "(names withheld)" in words and "g01" not in words
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 2  # the timeline, then the fairness finding
    assert base64.b64decode(images[1]).startswith(b"\x89PNG")
    storage, attached = with_images(html, chart="timeline.png")
    assert [name for name, _ in attached] == ["timeline.png", "figure-2.png"]
    assert attached[1][1] == base64.b64decode(images[1])
    assert 'ri:filename="figure-2.png"' in storage and "data:image" not in storage
