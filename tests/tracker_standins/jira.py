"""Jira Cloud's REST API v3 as the bot uses it: create an issue, search by JQL (the
label queries the bot makes), read an issue's status; and its webhooks.

Enforced: basic auth with the account's email and API token (401), the project and its
issue types (400 ``errors.project`` / ``errors.issuetype``), a summary of 1 to 255
characters, labels without spaces, and a description that is a valid Atlassian
document (400 ``errors.description``), the shape Jira answers with."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.pager_standins.base import JsonStandIn, Refusal, Reply, Request
from tests.tracker_standins import signing

EMAIL = "bot@example.com"
TOKEN = "jira-api-token"

BLOCKS = {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "rule", "blockquote"}
INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard"}
MARKS = {"strong", "em", "code", "link", "strike", "underline", "subsup", "textColor"}


class InvalidDocument(ValueError):
    pass


def check_adf(doc: Any) -> None:
    """Raise InvalidDocument unless ``doc`` is an Atlassian document Jira accepts."""
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        raise InvalidDocument("not a doc of version 1")
    content = doc.get("content")
    if not isinstance(content, list):
        raise InvalidDocument("a doc needs a content list")
    for block in content:
        _check_block(block)


def _check_block(block: Any) -> None:
    if not isinstance(block, dict) or block.get("type") not in BLOCKS:
        raise InvalidDocument(f"{block!r:.60} is not a block node")
    kind = block["type"]
    inner = block.get("content", [])
    if not isinstance(inner, list):
        raise InvalidDocument(f"{kind}'s content is not a list")
    if kind in ("paragraph", "heading", "codeBlock"):
        for node in inner:
            _check_inline(node)
    elif kind in ("bulletList", "orderedList"):
        for item in inner:
            if not isinstance(item, dict) or item.get("type") != "listItem":
                raise InvalidDocument("a list holds listItems only")
            for child in item.get("content") or []:
                _check_block(child)
    elif kind == "blockquote":
        for child in inner:
            _check_block(child)


def _check_inline(node: Any) -> None:
    if not isinstance(node, dict) or node.get("type") not in INLINE:
        raise InvalidDocument(f"{node!r:.60} is not an inline node")
    if node["type"] != "text":
        return
    text = node.get("text")
    if not isinstance(text, str) or not text:
        raise InvalidDocument("a text node needs non-empty text")
    marks = node.get("marks", [])
    if not isinstance(marks, list):
        raise InvalidDocument("marks is not a list")
    seen = set()
    for mark in marks:
        if not isinstance(mark, dict) or mark.get("type") not in MARKS:
            raise InvalidDocument(f"unknown mark {mark!r:.60}")
        if mark["type"] in seen:
            raise InvalidDocument("a mark repeated on one node")
        seen.add(mark["type"])
        if mark["type"] == "link":
            href = (mark.get("attrs") or {}).get("href")
            if not isinstance(href, str) or not href:
                raise InvalidDocument("a link mark needs attrs.href")


def text_of(doc: dict[str, Any]) -> str:
    """The document's words, as Jira would show them (links' text only)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                parts.append(str(node.get("text")))
            elif node.get("type") == "hardBreak":
                parts.append("\n")
            for child in node.get("content") or []:
                walk(child)
            if node.get("type") == "paragraph":
                parts.append("\n\n")

    walk(doc)
    return "".join(parts)


@dataclass
class Issue:
    id: str
    key: str
    summary: str
    description: dict[str, Any]
    labels: list[str]
    issue_type: str
    status: str = "To Do"
    category: str = "new"  # new, indeterminate, done
    history: list[str] = field(default_factory=list)


class JiraStandIn(JsonStandIn):
    def __init__(self, projects: dict[str, list[str]] | None = None) -> None:
        super().__init__()
        self.projects = projects or {"FRAUD": ["Task", "Bug"]}
        self.issues: dict[str, Issue] = {}
        self._numbers: dict[str, int] = {}
        self.lost_answers = 0  # issues made whose answer never reaches the bot (a 502)

    # -- what tests look at ------------------------------------------------------------------
    def labelled(self, label: str) -> list[Issue]:
        with self.lock:
            return [i for i in self.issues.values() if label in i.labels]

    def close(self, key: str) -> dict[str, Any]:
        """Move the issue to Done, as a person would; returns the webhook Jira sends."""
        with self.lock:
            issue = self.issues[key]
            issue.status, issue.category = "Done", "done"
            return self.webhook(issue)

    def webhook(self, issue: Issue, event: str = "jira:issue_updated") -> dict[str, Any]:
        return {
            "timestamp": time.time_ns() // 1_000_000,  # when the change happened, in ms
            "webhookEvent": event,
            "issue_event_type_name": "issue_generic",
            "issue": {"id": issue.id, "key": issue.key, "fields": self._fields(issue)},
            "changelog": {"items": [{"field": "status", "toString": issue.status}]},
        }

    def deliver(self, url: str, body: dict[str, Any], secret: str | None) -> httpx.Response:
        return signing.deliver(
            url,
            body,
            "X-Hub-Signature",
            secret,
            **{"X-Atlassian-Webhook-Identifier": signing.delivery_id()},
        )

    # -- the API ---------------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        self._auth(request)
        if request.method == "POST" and request.path == "/rest/api/3/issue":
            return self._create(request.body)
        if request.method == "GET" and request.path == "/rest/api/3/search/jql":
            return self._search(request.query.get("jql", [""])[0])
        if request.method == "GET" and request.path.startswith("/rest/api/3/issue/"):
            key = request.path.rsplit("/", 1)[-1]
            issue = self.issues.get(key)
            if issue is None:
                raise Refusal(
                    404,
                    {
                        "errorMessages": [
                            "Issue does not exist or you do not have permission to see it."
                        ],
                        "errors": {},
                    },
                )
            return Reply(200, {"id": issue.id, "key": key, "fields": self._fields(issue)})
        raise Refusal(404, {"errorMessages": [f"No API at {request.path}"], "errors": {}})

    def _auth(self, request: Request) -> None:
        expected = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        if request.headers.get("authorization") != expected:
            raise Refusal(
                401, {"errorMessages": ["Client must be authenticated to access this resource."]}
            )

    def _create(self, body: Any) -> Reply:
        fields = (body or {}).get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            raise Refusal(400, {"errorMessages": ["Issue fields are required."], "errors": {}})
        errors: dict[str, str] = {}
        project = (fields.get("project") or {}).get("key")
        issue_type = (fields.get("issuetype") or {}).get("name")
        if project not in self.projects:
            errors["project"] = "Specify a valid project ID or key"
        elif issue_type not in self.projects[project]:
            errors["issuetype"] = "Specify a valid issue type"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255 or "\n" in summary:
            errors["summary"] = "Summary must be less than 255 characters."
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or any(
            not isinstance(label, str) or " " in label or not label or len(label) > 255
            for label in labels
        ):
            errors["labels"] = "The label contains spaces which is invalid."
        try:
            check_adf(fields.get("description"))
        except InvalidDocument:
            errors["description"] = (
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            )
        if errors:
            raise Refusal(400, {"errorMessages": [], "errors": errors})
        assert isinstance(project, str) and isinstance(summary, str)
        number = self._numbers.get(project, 0) + 1
        self._numbers[project] = number
        key = f"{project}-{number}"
        issue = Issue(
            str(10000 + len(self.issues)), key, summary, fields["description"], labels, issue_type
        )
        self.issues[key] = issue
        if self.lost_answers > 0:  # made, but the answer is lost on the way back
            self.lost_answers -= 1
            raise Refusal(502, {"errorMessages": ["Bad gateway"]})
        return Reply(
            201, {"id": issue.id, "key": key, "self": f"{self.url}/rest/api/3/issue/{issue.id}"}
        )

    def _search(self, jql: str) -> Reply:
        # The one query the bot makes: labels = "<label>" [ORDER BY ...]
        prefix = 'labels = "'
        if not jql.startswith(prefix) or '"' not in jql[len(prefix) :]:
            raise Refusal(400, {"errorMessages": [f"Error in the JQL Query: {jql}"], "errors": {}})
        label = jql[len(prefix) :].split('"', 1)[0]
        found = sorted(self.labelled(label), key=lambda i: int(i.id))
        return Reply(200, {"issues": [{"id": i.id, "key": i.key} for i in found], "isLast": True})

    def _fields(self, issue: Issue) -> dict[str, Any]:
        return {
            "summary": issue.summary,
            "labels": issue.labels,
            "status": {"name": issue.status, "statusCategory": {"key": issue.category}},
        }
