"""Every runbook loads as a Slack-sized checklist and every role brief renders."""

import pytest

from bot.incidents.roles import Role
from bot.incidents.triage import Runbook
from bot.runbooks import MAX_ITEMS, load
from bot.templating import render_text


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
