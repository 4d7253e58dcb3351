"""What the trackers send back when a ticket changes: checked by signature before
anything is read, then read into "this ticket is done" or "open again".

Both sign the raw body with HMAC-SHA256 of a shared secret, as ``sha256=<hex>``:
GitHub in ``X-Hub-Signature-256``, Jira Cloud (a webhook an admin registered with a
secret) in ``X-Hub-Signature``. Compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass


class Unreadable(ValueError):
    """A signed delivery the bot cannot read; the message says why."""


@dataclass(frozen=True)
class TicketChange:
    provider: str  # jira, github
    ref: str  # Jira's key, GitHub's issue number
    done: bool  # done now (closed, a done status), or open again


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(secret: str | None, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(signature(secret, body), header.strip())


def _json(body: bytes) -> dict[str, object]:
    try:
        data = json.loads(body)
    except ValueError:
        raise Unreadable("the body is not JSON") from None
    if not isinstance(data, dict):
        raise Unreadable("the body is not a JSON object")
    return data


def read_github(event: str | None, body: bytes, repo: str | None) -> TicketChange | None:
    """An ``issues`` event that closed or reopened an issue of our repository; None for
    anything else (a ping, a comment, another repository)."""
    data = _json(body)
    if event != "issues" or data.get("action") not in ("closed", "reopened"):
        return None
    issue = data.get("issue")
    repository = data.get("repository")
    if not isinstance(issue, dict) or not isinstance(issue.get("number"), int):
        raise Unreadable("an issues event without issue.number")
    if repo and isinstance(repository, dict) and repository.get("full_name") not in (None, repo):
        return None
    return TicketChange("github", str(issue["number"]), data.get("action") == "closed")


def read_jira(body: bytes) -> TicketChange | None:
    """A ``jira:issue_updated`` event; done when the issue's status is in the Done
    category. None for other events."""
    data = _json(body)
    if data.get("webhookEvent") != "jira:issue_updated":
        return None
    issue = data.get("issue")
    if not isinstance(issue, dict) or not isinstance(issue.get("key"), str):
        raise Unreadable("a jira:issue_updated event without issue.key")
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    assert isinstance(fields, dict)
    status = fields.get("status") if isinstance(fields.get("status"), dict) else {}
    assert isinstance(status, dict)
    category = (
        status.get("statusCategory") if isinstance(status.get("statusCategory"), dict) else {}
    )
    assert isinstance(category, dict)
    return TicketChange("jira", str(issue["key"]), category.get("key") == "done")
