"""GitHub's REST API for issues, as the bot uses it: create an issue, list a repository's
issues by label, read one; and the ``issues`` webhook.

Enforced: a token (401 ``Bad credentials``), a User-Agent (GitHub refuses requests
without one, 403), the repository (404 ``Not Found``), a title, and labels of 1 to 50
characters (422 ``Validation Failed`` with GitHub's ``errors`` list)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.pager_standins.base import JsonStandIn, Refusal, Reply, Request
from tests.tracker_standins import signing

TOKEN = "ghp_standin_token"
DOCS = "https://docs.github.com/rest"


@dataclass
class Issue:
    number: int
    title: str
    body: str
    labels: list[str]
    state: str = "open"
    updated_at: str = field(default_factory=lambda: _now())


class GitHubStandIn(JsonStandIn):
    def __init__(self, repo: str = "acme/ml-platform") -> None:
        super().__init__()
        self.repo = repo
        self.issues: dict[int, Issue] = {}

    def labelled(self, label: str) -> list[Issue]:
        with self.lock:
            return [i for i in self.issues.values() if label in i.labels]

    def close(self, number: int) -> dict[str, Any]:
        with self.lock:
            issue = self.issues[number]
            issue.state, issue.updated_at = "closed", _now()
            return self.webhook(issue, "closed")

    def webhook(self, issue: Issue, action: str) -> dict[str, Any]:
        return {
            "action": action,
            "issue": self._shown(issue),
            "repository": {"full_name": self.repo},
            "sender": {"login": "cara"},
        }

    def deliver(
        self, url: str, body: dict[str, Any], secret: str | None, event: str = "issues"
    ) -> httpx.Response:
        return signing.deliver(
            url,
            body,
            "X-Hub-Signature-256",
            secret,
            **{"X-GitHub-Event": event, "X-GitHub-Delivery": signing.delivery_id()},
        )

    def handle(self, request: Request) -> Reply:
        if not request.headers.get("user-agent"):
            raise Refusal(
                403,
                {
                    "message": "Request forbidden by administrative rules. Please make sure "
                    "your request has a User-Agent header"
                },
            )
        if request.headers.get("authorization") not in (f"Bearer {TOKEN}", f"token {TOKEN}"):
            raise Refusal(401, {"message": "Bad credentials", "documentation_url": DOCS})
        base = f"/repos/{self.repo}/issues"
        if not request.path.startswith(base):
            raise Refusal(404, {"message": "Not Found", "documentation_url": DOCS})
        rest = request.path[len(base) :].strip("/")
        if request.method == "POST" and not rest:
            return self._create(request.body)
        if request.method == "GET" and not rest:
            label = request.query.get("labels", [""])[0]
            state = request.query.get("state", ["open"])[0]
            found = [
                self._shown(i)
                for i in sorted(self.issues.values(), key=lambda i: i.number)
                if (not label or label in i.labels) and (state == "all" or i.state == state)
            ]
            per_page = int(request.query.get("per_page", ["30"])[0])
            return Reply(200, found[:per_page])
        if request.method == "GET" and rest.isdigit() and int(rest) in self.issues:
            return Reply(200, self._shown(self.issues[int(rest)]))
        raise Refusal(404, {"message": "Not Found", "documentation_url": DOCS})

    def _create(self, body: Any) -> Reply:
        if not isinstance(body, dict):
            raise Refusal(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        errors = []
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            errors.append({"resource": "Issue", "code": "missing_field", "field": "title"})
        elif len(title) > 256:
            errors.append(
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "title",
                    "message": "title is too long (maximum is 256 characters)",
                }
            )
        labels = body.get("labels") or []
        for label in labels if isinstance(labels, list) else [labels]:
            if not isinstance(label, str) or not 1 <= len(label) <= 50:
                errors.append(
                    {"value": label, "resource": "Label", "field": "name", "code": "invalid"}
                )
        if isinstance(body.get("body"), str) and len(body["body"]) > 65536:
            errors.append(
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "body",
                    "message": "body is too long (maximum is 65536 characters)",
                }
            )
        if errors:
            raise Refusal(
                422, {"message": "Validation Failed", "errors": errors, "documentation_url": DOCS}
            )
        number = len(self.issues) + 1
        issue = Issue(number, str(title), str(body.get("body") or ""), list(labels))
        self.issues[number] = issue
        return Reply(201, self._shown(issue))

    def _shown(self, issue: Issue) -> dict[str, Any]:
        return {
            "id": 1_000_000 + issue.number,
            "number": issue.number,
            "updated_at": issue.updated_at,
            "title": issue.title,
            "body": issue.body,
            "state": issue.state,
            "labels": [{"name": label} for label in issue.labels],
            "html_url": f"https://github.com/{self.repo}/issues/{issue.number}",
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
