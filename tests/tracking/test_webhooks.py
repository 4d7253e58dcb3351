"""The trackers' webhooks as the bot reads them: the signature over the raw body first,
then only the changes it acts on."""

from __future__ import annotations

import json

import pytest

from bot.tracking import webhooks
from tests.tracker_standins.signing import signature


def test_only_the_shared_secret_signs_a_delivery() -> None:
    body = b'{"webhookEvent": "jira:issue_updated"}'
    assert webhooks.signed("s3cret", body, signature("s3cret", body))
    assert not webhooks.signed("s3cret", body, signature("other", body))
    assert not webhooks.signed("s3cret", body + b" ", signature("s3cret", body))
    assert not webhooks.signed("s3cret", body, None)
    assert not webhooks.signed(None, body, signature("s3cret", body))


def test_jira_done_means_the_done_status_category() -> None:
    def event(category: str, kind: str = "jira:issue_updated") -> bytes:
        issue = {
            "key": "FRAUD-3",
            "fields": {"status": {"name": "Shipped", "statusCategory": {"key": category}}},
        }
        return json.dumps({"webhookEvent": kind, "issue": issue}).encode()

    assert webhooks.read_jira(event("done")) == webhooks.TicketChange("jira", "FRAUD-3", True)
    assert webhooks.read_jira(event("indeterminate")) == webhooks.TicketChange(
        "jira", "FRAUD-3", False
    )
    assert webhooks.read_jira(event("done", "comment_created")) is None
    with pytest.raises(webhooks.Unreadable, match=r"without issue\.key"):
        webhooks.read_jira(b'{"webhookEvent": "jira:issue_updated", "issue": {}}')
    with pytest.raises(webhooks.Unreadable, match="not JSON"):
        webhooks.read_jira(b"<xml/>")


def test_github_closed_and_reopened_issues_of_our_repository_only() -> None:
    def event(action: str, repo: str = "acme/ml-platform") -> bytes:
        return json.dumps(
            {"action": action, "issue": {"number": 4}, "repository": {"full_name": repo}}
        ).encode()

    assert webhooks.read_github(
        "issues", event("closed"), "acme/ml-platform"
    ) == webhooks.TicketChange("github", "4", True)
    assert webhooks.read_github(
        "issues", event("reopened"), "acme/ml-platform"
    ) == webhooks.TicketChange("github", "4", False)
    assert webhooks.read_github("issues", event("labeled"), "acme/ml-platform") is None
    assert webhooks.read_github("ping", event("closed"), "acme/ml-platform") is None
    assert webhooks.read_github("issues", event("closed", "evil/fork"), "acme/ml-platform") is None


def test_a_change_is_known_by_what_its_signed_body_names() -> None:
    """The same change re-sent under a new delivery header has the same key; another
    change of the same issue (a later time) has another."""
    closed = {
        "action": "closed",
        "issue": {"id": 9001, "number": 3, "updated_at": "2026-12-07T10:00:00Z"},
        "repository": {"full_name": "acme/ml"},
    }
    later = {**closed, "issue": {**closed["issue"], "updated_at": "2026-12-07T11:00:00Z"}}
    first = webhooks.read_github("issues", json.dumps(closed).encode(), "acme/ml")
    again = webhooks.read_github("issues", json.dumps(closed).encode(), "acme/ml")
    other = webhooks.read_github("issues", json.dumps(later).encode(), "acme/ml")
    assert first and again and other and first.seen_as
    assert first.seen_as == again.seen_as != other.seen_as
    jira = {
        "timestamp": 1764780000000,
        "webhookEvent": "jira:issue_updated",
        "issue": {"id": "10001", "key": "FRAUD-3", "fields": {}},
    }
    one = webhooks.read_jira(json.dumps(jira).encode())
    two = webhooks.read_jira(json.dumps({**jira, "timestamp": 1764780000001}).encode())
    assert one and two and one.seen_as and one.seen_as != two.seen_as
