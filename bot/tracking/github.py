"""GitHub Issues, for teams that track work there: ``POST /repos/{owner}/{repo}/issues``
with a Markdown body and labels, found again by label through the repository's issue
list (not the search API, which lags behind what was just filed). A token sent as a
Bearer header; GitHub also requires a User-Agent and names its API version."""

from __future__ import annotations

import time
from typing import Any

from bot.net import provider_http as http
from bot.text import rendering
from bot.tracking.tracker import Brief, Ticket, TicketRequest, TrackerRefused, clean, cut

NAME = "GitHub"
TITLE_MAX = 256
API_VERSION = "2022-11-28"


class GitHubIssues:
    name = NAME
    provider = "github"

    def __init__(self, base_url: str, token: str, repo: str, transport: Any = None) -> None:
        self._repo = repo
        self._http = http.client(
            base_url,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "incidentbot",
            },
            transport,
        )

    def file(self, request: TicketRequest) -> Ticket:
        body = {
            "title": cut(request.title, TITLE_MAX),
            "body": markdown(request.brief),
            "labels": list(request.labels),
        }
        answer = self._call("POST", f"/repos/{self._repo}/issues", json=body)
        if answer.status != 201 or not answer.body.get("number"):
            raise self._refused(answer, "the ticket")
        return self._ticket(answer.body)

    def find(self, label: str) -> Ticket | None:
        answer = self._call(
            "GET",
            f"/repos/{self._repo}/issues",
            params={"labels": label, "state": "all", "per_page": "1", "direction": "asc"},
        )
        if answer.status != 200:
            raise self._refused(answer, "the search")
        found = [i for i in answer.data or [] if isinstance(i, dict) and i.get("number")]
        return self._ticket(found[0]) if found else None

    def done(self, refs: list[str]) -> set[str]:
        finished = set()
        for ref in refs:
            answer = self._call("GET", f"/repos/{self._repo}/issues/{ref}")
            if answer.status in (404, 410):
                continue  # deleted, or issues turned off: nothing to learn from it
            if answer.status != 200:
                raise self._refused(answer, f"the question about #{ref}")
            if answer.body.get("state") == "closed":
                finished.add(ref)
        return finished

    def _ticket(self, issue: dict[str, Any]) -> Ticket:
        number = str(issue["number"])
        url = issue.get("html_url")
        return Ticket(f"{self._repo}#{number}", str(url) if url else None, number)

    def _call(self, method: str, path: str, **kwargs: Any) -> http.Answer:
        answer = http.call(TrackerRefused, self._http, NAME, method, path, **kwargs)
        # The primary rate limit answers 403 with nothing left, and says when it resets.
        if answer.status == 403 and answer.headers.get("x-ratelimit-remaining") == "0":
            reset = http.wait_asked(answer.headers, "x-ratelimit-reset")
            after = max(0.0, reset - time.time()) if reset is not None else None
            raise TrackerRefused(
                "GitHub is rate limiting the bot", retry=True, code="github_403", after=after
            )
        if answer.status == 403 and answer.headers.get("retry-after"):  # a secondary limit
            raise TrackerRefused(
                "GitHub is rate limiting the bot",
                retry=True,
                code="github_403",
                after=http.wait_asked(answer.headers, "retry-after"),
            )
        return answer

    def _refused(self, answer: http.Answer, what: str) -> TrackerRefused:
        return TrackerRefused(
            f"GitHub refused {what}: {self._words(answer)}",
            retry=False,
            code=f"github_{answer.status}",
        )

    def _words(self, answer: http.Answer) -> str:
        if answer.status == 401:
            return "it does not accept the bot's token (INCIDENTBOT_GITHUB_TOKEN)"
        if answer.status == 403:
            return f"the bot's token may not write issues in {self._repo}"
        if answer.status == 404:
            return f"there is no repository {self._repo} the bot's token can see"
        if answer.status == 410:
            return f"issues are turned off in {self._repo}"
        if answer.status == 422:
            problems = []
            for error in answer.body.get("errors") or []:
                if isinstance(error, dict):
                    said = error.get("message") or " ".join(
                        str(error.get(k)) for k in ("resource", "field", "code") if error.get(k)
                    )
                    problems.append(str(said))
                elif isinstance(error, str):
                    problems.append(error)
            message = str(answer.body.get("message") or "Validation Failed")
            return cut(f"{message} ({'; '.join(problems)})" if problems else message, 300)
        return cut(str(answer.body.get("message") or f"HTTP {answer.status}"), 300)


def markdown_text(text: str) -> str:
    """Typed text as GitHub Markdown that shows it as typed."""
    return rendering.for_github(clean(text))


def markdown(brief: Brief) -> str:
    """The brief as GitHub Markdown: each span's text escaped, links and bold ours."""
    paragraphs = []
    for paragraph in brief.paragraphs:
        parts = []
        for span in paragraph:
            lines = [markdown_text(line) for line in span.text.split("\n")]
            text = "  \n".join(lines)  # a hard line break
            if span.strong and text.strip():
                text = f"**{text}**"
            if span.href and text.strip():
                target = span.href.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
                text = f"[{text}](<{target}>)" if ">" not in target else text
            parts.append(text)
        paragraphs.append("".join(parts))
    return "\n\n".join(paragraphs) + "\n"
