"""Every runbook loads as a Slack-sized checklist and every role brief renders."""

import pytest

from bot.documents.templating import render_text
from bot.incidents.roles import Role
from bot.incidents.runbooks import MAX_ITEMS, load
from bot.incidents.triage_questions import Runbook


@pytest.mark.parametrize("runbook", list(Runbook))
def test_runbooks_are_checklists(runbook: Runbook) -> None:
    checklist = load(runbook)
    assert checklist.title and checklist.summary
    assert 1 <= len(checklist.items) <= MAX_ITEMS
    assert all(len(item) <= 2900 for item in checklist.items)


@pytest.mark.parametrize("role", list(Role))
def test_role_briefs_name_the_incident_and_first_steps(role: Role) -> None:
    text = render_text(
        f"roles/{role.value}.md.j2",
        reference="INC-4",
        severity="SEV2",
        expectation="Respond within 2 hours.",
    )
    assert f"You are {role.info.title} for INC-4." in text
    assert "First steps:" in text


FACTS = {
    "reference": "INC-7",
    "title": "Fraud model flags 40% of legitimate payments",
    "severity": "SEV1",
    "severity_name": "critical",
    "severity_emoji": ":red_circle:",
    "system": "fraud-scorer",
    "status": "investigating",
    "impact": "Significant harm now",
    "next_update": "10:30 UTC on Mon 23 Nov",
}


@pytest.mark.parametrize("kind", ["first_notice", "update"])
def test_update_drafts_say_what_readers_need(kind: str) -> None:
    text = render_text(f"updates/{kind}.md.j2", **FACTS)
    assert "INC-7" in text and "Significant harm now" in text
    assert "*What you need to do:*" in text
    assert "*Next update:* 10:30 UTC on Mon 23 Nov" in text


def test_the_resolution_says_what_happened_and_what_comes_next() -> None:
    common = {
        **FACTS,
        "summary": "Rolled back to v41",
        "started": "09:12 UTC on Mon 23 Nov",
        "resolved": "11:02 UTC on Mon 23 Nov",
        "duration": "1 h 50 min",
    }
    with_postmortem = render_text("updates/resolution.md.j2", **common, postmortem_due="Mon 30 Nov")
    assert "*What happened:* Rolled back to v41" in with_postmortem
    assert "from 09:12 UTC on Mon 23 Nov to 11:02 UTC on Mon 23 Nov, 1 h 50 min" in with_postmortem
    assert "post-mortem, due Mon 30 Nov" in with_postmortem
    without = render_text("updates/resolution.md.j2", **common, postmortem_due=None)
    assert "post-mortem" not in without
