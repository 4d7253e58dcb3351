"""What the trackers send back when a ticket changes: checked by signature before
anything is read, then read into "this ticket is done" or "open again".

Both sign the raw body with HMAC-SHA256 of a shared secret, as ``sha256=<hex>``:
GitHub in ``X-Hub-Signature-256``, Jira Cloud (a webhook an admin registered with a
secret) in ``X-Hub-Signature``. Compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from bot.net import bounded_json

_SIGNATURE = re.compile(r"sha256=[0-9a-fA-F]{64}")


class Unreadable(ValueError):
    """A signed delivery the bot cannot read; the message says why."""


@dataclass(frozen=True)
class TicketChange:
    provider: str  # jira, github
    ref: str  # Jira's key, GitHub's issue number
    done: bool  # done now (closed, a done status), or open again
    # What names this change in the signed body (the issue's ID and the event's time):
    # the same change delivered again, under any delivery header, has the same.
    seen_as: str | None = None


def _seen_as(provider: str, *parts: object) -> str | None:
    if any(part in (None, "") for part in parts):
        return None
    named = "\0".join(str(part) for part in parts).encode("utf-8", "replace")
    return f"{provider}:{hashlib.sha256(named).hexdigest()[:48]}"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def well_formed(header: str | None) -> bool:
    """Whether a signature header has the shape ``sha256=<64 hex digits>`` (checked
    before the body is read: anything else is refused without reading it)."""
    return bool(header) and _SIGNATURE.fullmatch(str(header).strip()) is not None


def signed(secret: str | None, body: bytes, header: str | None) -> bool:
    if not secret or not header or not well_formed(header):
        return False
    offered = header.strip().lower().encode("ascii")
    return hmac.compare_digest(signature(secret, body).encode("ascii"), offered)


def _json(body: bytes) -> dict[str, object]:
    try:
        data = bounded_json.loads(body)
    except bounded_json.Unbounded as problem:
        raise Unreadable(str(problem)) from None
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
    action = data.get("action")
    seen_as = _seen_as("github", issue.get("id"), action, issue.get("updated_at"))
    return TicketChange("github", str(issue["number"]), action == "closed", seen_as)


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
    seen_as = _seen_as("jira", issue.get("id"), issue["key"], data.get("timestamp"))
    return TicketChange("jira", str(issue["key"]), category.get("key") == "done", seen_as)
