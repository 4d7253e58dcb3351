"""Jira Cloud's REST API v3, for action items: ``POST /rest/api/3/issue`` with the
description in Atlassian Document Format, found again by label through
``GET /rest/api/3/search/jql``. Basic auth with an Atlassian account's email and API
token; every call has a deadline (``bot.net.provider_http``)."""

from __future__ import annotations

import base64
from typing import Any

from bot.net import provider_http as http
from bot.text import rendering
from bot.tracking.tracker import Brief, Ticket, TicketRequest, TrackerRefused, clean, cut

NAME = "Jira"
SUMMARY_MAX = 255  # Jira refuses a longer summary


class JiraCloud:
    name = NAME
    provider = "jira"

    def __init__(
        self,
        base_url: str,
        email: str,
        token: str,
        project: str,
        issue_type: str = "Task",
        transport: Any = None,
    ) -> None:
        pair = base64.b64encode(f"{email}:{token}".encode()).decode("ascii")
        self._base = base_url.rstrip("/")
        self._project, self._issue_type = project, issue_type
        self._http = http.client(
            self._base,
            {"Authorization": f"Basic {pair}", "Accept": "application/json"},
            transport,
        )

    def file(self, request: TicketRequest) -> Ticket:
        fields = {
            "project": {"key": self._project},
            "issuetype": {"name": self._issue_type},
            "summary": cut(request.title, SUMMARY_MAX),
            "description": adf(request.brief),
            "labels": list(request.labels),
        }
        answer = self._call("POST", "/rest/api/3/issue", json={"fields": fields})
        if answer.status != 201 or not answer.body.get("key"):
            raise self._refused(answer, "the ticket")
        return self._ticket(str(answer.body["key"]))

    def find(self, label: str) -> Ticket | None:
        found = self._search(f'labels = "{label}" ORDER BY created ASC', 1)
        return self._ticket(found[0]) if found else None

    def done(self, refs: list[str]) -> set[str]:
        finished = set()
        for ref in refs:  # one by one: a key Jira no longer knows fails only itself
            answer = self._call("GET", f"/rest/api/3/issue/{ref}", params={"fields": "status"})
            if answer.status == 404:
                continue  # deleted or moved away: nothing to learn from it
            if answer.status != 200:
                raise self._refused(answer, f"the question about {ref}")
            status = (answer.body.get("fields") or {}).get("status") or {}
            if ((status.get("statusCategory") or {}).get("key")) == "done":
                finished.add(ref)
        return finished

    def _search(self, jql: str, limit: int) -> list[str]:
        answer = self._call(
            "GET",
            "/rest/api/3/search/jql",
            params={"jql": jql, "fields": "key", "maxResults": str(limit)},
        )
        if answer.status != 200:
            raise self._refused(answer, "the search")
        issues = answer.body.get("issues")
        return [str(i["key"]) for i in issues or [] if isinstance(i, dict) and i.get("key")]

    def _ticket(self, key: str) -> Ticket:
        return Ticket(key, f"{self._base}/browse/{key}", key)

    def _call(self, method: str, path: str, **kwargs: Any) -> http.Answer:
        answer = http.call(TrackerRefused, self._http, NAME, method, path, **kwargs)
        return answer

    def _refused(self, answer: http.Answer, what: str) -> TrackerRefused:
        return TrackerRefused(
            f"Jira refused {what}: {self._words(answer)}",
            retry=False,
            code=f"jira_{answer.status}",
        )

    def _words(self, answer: http.Answer) -> str:
        errors = answer.body.get("errors") if isinstance(answer.body.get("errors"), dict) else {}
        assert isinstance(errors, dict)
        if answer.status == 401:
            return "it does not accept the bot's email and API token"
        if answer.status == 403:
            return f"the bot's account may not create issues in the project {self._project}"
        if answer.status == 404:
            return "there is no Jira API at INCIDENTBOT_JIRA_URL"
        if "issuetype" in errors:
            return f"the project {self._project} has no issue type {self._issue_type}"
        if "project" in errors:
            return f"there is no project {self._project} (or the bot's account cannot see it)"
        said = [f"{field}: {text}" for field, text in errors.items()]
        said += [str(m) for m in answer.body.get("errorMessages") or []]
        return cut("; ".join(said), 300) or f"HTTP {answer.status}"


def adf(brief: Brief) -> dict[str, Any]:
    """The brief as an Atlassian document: each span a text node (links and bold as
    marks, never parsed), line breaks as hardBreak nodes, empty text left out."""
    content: list[dict[str, Any]] = []
    for paragraph in brief.paragraphs:
        nodes: list[dict[str, Any]] = []
        for span in paragraph:
            for n, line in enumerate(rendering.emoji(clean(span.text)).split("\n")):
                if n:
                    nodes.append({"type": "hardBreak"})
                if not line:
                    continue
                node: dict[str, Any] = {"type": "text", "text": line}
                marks = []
                if span.href:
                    marks.append({"type": "link", "attrs": {"href": span.href}})
                if span.strong:
                    marks.append({"type": "strong"})
                if marks:
                    node["marks"] = marks
                nodes.append(node)
        content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}
