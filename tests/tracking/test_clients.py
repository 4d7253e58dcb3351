"""The tracker and wiki clients against stand-ins that enforce each vendor's rules: what
is sent, what a refusal says, and which failures are retried."""

from __future__ import annotations

import pytest

from bot.outbox.failures import sort
from bot.tracking.confluence import Attachment, Confluence
from bot.tracking.github import GitHubIssues
from bot.tracking.jira import JiraCloud
from bot.tracking.tracker import Brief, Span, TicketRequest, TrackerRefused
from tests.tracker_standins import confluence as wiki_standin
from tests.tracker_standins import github as github_standin
from tests.tracker_standins import jira as jira_standin
from tests.tracker_standins.confluence import ConfluenceStandIn, check_storage
from tests.tracker_standins.github import GitHubStandIn
from tests.tracker_standins.jira import JiraStandIn, check_adf, text_of

HOSTILE = "<!channel> *bold* [click](https://evil.example) @team #12 <script>x</script> & `c`"


def request(words: str = "Alert on null rates", label: str = "incidentbot-item-7") -> TicketRequest:
    brief = Brief(
        (
            (Span(words, strong=True),),
            (Span("Owner: @cara\nDue 2026-12-09"),),
            (
                Span(
                    "The incident channel in Slack",
                    href="https://slack.com/app_redirect?channel=C1",
                ),
            ),
        )
    )
    return TicketRequest(f"INC-3: {words}", brief, (label, "incident-inc-3", "incidentbot"))


def jira_client(standin: JiraStandIn, **kw: str) -> JiraCloud:
    return JiraCloud(
        standin.url,
        kw.get("email", jira_standin.EMAIL),
        kw.get("token", jira_standin.TOKEN),
        kw.get("project", "FRAUD"),
        kw.get("issue_type", "Task"),
    )


def test_jira_files_a_valid_document_and_finds_it_again_by_its_label(jira: JiraStandIn) -> None:
    client = jira_client(jira)
    ticket = client.file(request(HOSTILE))
    assert ticket.key == "FRAUD-1" and ticket.url == f"{jira.url}/browse/FRAUD-1"
    (issue,) = jira.labelled("incidentbot-item-7")
    check_adf(issue.description)
    words = text_of(issue.description)
    assert HOSTILE in words and "Owner: @cara\nDue 2026-12-09" in words  # as typed, not parsed
    assert issue.summary == f"INC-3: {HOSTILE}"
    assert client.find("incidentbot-item-7") == ticket
    assert client.find("incidentbot-item-8") is None
    assert client.done(["FRAUD-1"]) == set()
    jira.close("FRAUD-1")
    assert client.done(["FRAUD-1", "FRAUD-404"]) == {"FRAUD-1"}  # an unknown key is no error


@pytest.mark.parametrize(
    ("kw", "words", "code"),
    [
        (
            {"issue_type": "Story"},
            "Jira refused the ticket: the project FRAUD has no issue type Story",
            "jira_400",
        ),
        ({"project": "NOPE"}, "Jira refused the ticket: there is no project NOPE", "jira_400"),
        (
            {"token": "wrong"},
            "Jira refused the ticket: it does not accept the bot's email and API token",
            "jira_401",
        ),
    ],
)
def test_jira_refusals_are_final_and_said_in_words(
    jira: JiraStandIn, kw: dict[str, str], words: str, code: str
) -> None:
    with pytest.raises(TrackerRefused) as refused:
        jira_client(jira, **kw).file(request())
    failure = sort(refused.value)
    assert not failure.retry and failure.code == code and failure.words.startswith(words)
    assert jira.issues == {}


def test_a_summary_longer_than_jira_allows_is_cut_not_refused(jira: JiraStandIn) -> None:
    jira_client(jira).file(request("x" * 600))
    (issue,) = jira.issues.values()
    assert len(issue.summary) == 255 and issue.summary.endswith("…")


def test_rate_limits_and_outages_are_retried_after_what_they_ask(jira: JiraStandIn) -> None:
    jira.fail_next(429, {"errorMessages": ["Rate limit exceeded."]}, {"Retry-After": "7"})
    with pytest.raises(TrackerRefused) as limited:
        jira_client(jira).file(request())
    assert sort(limited.value).retry and sort(limited.value).after == 7.0
    jira.fail_next(503, {"errorMessages": ["Service unavailable"]})
    with pytest.raises(TrackerRefused) as down:
        jira_client(jira).file(request())
    assert sort(down.value).retry and jira.issues == {}


def github_client(standin: GitHubStandIn, token: str = github_standin.TOKEN) -> GitHubIssues:
    return GitHubIssues(standin.url, token, standin.repo)


def test_github_files_markdown_that_shows_what_was_typed_and_pings_nobody(
    github: GitHubStandIn,
) -> None:
    client = github_client(github)
    ticket = client.file(request(HOSTILE))
    assert ticket.key == "acme/ml-platform#1" and ticket.ref == "1"
    assert ticket.url == "https://github.com/acme/ml-platform/issues/1"
    (issue,) = github.issues.values()
    assert issue.labels == ["incidentbot-item-7", "incident-inc-3", "incidentbot"]
    body = issue.body
    assert "\\*bold\\*" in body and "\\[click\\]\\(https\\:\\/\\/evil\\.example\\)" in body
    assert "\\<script\\>" in body and "<script>" not in body
    assert "\\@\u200bteam" in body and "\\#\u200b12" in body  # no mention, no issue link
    assert "[The incident channel in Slack](<https://slack.com/app_redirect?channel=C1>)" in body
    assert client.find("incidentbot-item-7") == ticket
    github.close(1)
    assert client.done(["1", "99"]) == {"1"}


def test_github_refuses_a_bad_label_with_422_and_the_bot_says_why(github: GitHubStandIn) -> None:
    with pytest.raises(TrackerRefused) as refused:
        github_client(github).file(request(label="x" * 51))
    failure = sort(refused.value)
    assert not failure.retry and failure.code == "github_422"
    assert failure.words.startswith("GitHub refused the ticket: Validation Failed (Label name")
    with pytest.raises(TrackerRefused) as bad_token:
        github_client(github, token="nope").file(request())
    assert "does not accept the bot's token" in str(bad_token.value)


def test_github_rate_limits_wait_for_the_reset(github: GitHubStandIn) -> None:
    github.fail_next(
        403,
        {"message": "API rate limit exceeded"},
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "0"},
    )
    with pytest.raises(TrackerRefused) as limited:
        github_client(github).file(request())
    assert sort(limited.value).retry and github.issues == {}


def wiki(standin: ConfluenceStandIn) -> Confluence:
    return Confluence(standin.url, wiki_standin.EMAIL, wiki_standin.TOKEN, wiki_standin.SPACE_KEY)


def test_publishing_again_is_a_new_version_of_the_same_page(confluence: ConfluenceStandIn) -> None:
    client = wiki(confluence)
    chart = Attachment("timeline.png", b"\x89PNG first")
    first = client.publish("Post-mortem INC-3: Ranker", "<h1>One</h1>", [chart])
    assert first.created and first.version == 1
    assert first.url == f"{wiki_standin.SITE}/spaces/MLOPS/pages/{first.page_id}"
    again = client.publish(
        "Post-mortem INC-3: Ranker",
        "<h1>Two</h1>",
        [Attachment("timeline.png", b"second")],
        page_id=first.page_id,
    )
    assert not again.created and again.version == 2 and again.page_id == first.page_id
    (page,) = confluence.pages.values()
    assert page.versions == ["<h1>One</h1>", "<h1>Two</h1>"]
    assert page.attachments["timeline.png"] == [b"\x89PNG first", b"second"]


def test_a_stale_version_is_read_again_and_written_on_top(confluence: ConfluenceStandIn) -> None:
    client = wiki(confluence)
    first = client.publish("Post-mortem INC-4", "<p>one</p>", [])
    confluence.edit(first.page_id)  # someone edited it in Confluence meanwhile
    again = client.publish("Post-mortem INC-4", "<p>two</p>", [], page_id=first.page_id)
    assert again.version == 3 and confluence.pages[first.page_id].body == "<p>two</p>"
    assert [
        r.body["version"]["number"] for r in confluence.calls("PUT", "/wiki/api/v2/pages/")
    ] == [3]


def test_a_page_an_interrupted_attempt_made_is_found_by_title(
    confluence: ConfluenceStandIn,
) -> None:
    client = wiki(confluence)
    client.publish("Post-mortem INC-5", "<p>one</p>", [])
    again = client.publish("Post-mortem INC-5", "<p>two</p>", [])  # the page ID was never kept
    assert not again.created and len(confluence.pages) == 1


def test_a_conflict_that_never_ends_is_retried_later(confluence: ConfluenceStandIn) -> None:
    client = wiki(confluence)
    first = client.publish("Post-mortem INC-6", "<p>one</p>", [])
    confluence.racing_edits = 3  # every write the bot tries is beaten by an edit
    with pytest.raises(TrackerRefused) as refused:
        client.publish("Post-mortem INC-6", "<p>two</p>", [], page_id=first.page_id)
    assert sort(refused.value).retry


def test_the_wiki_refuses_a_missing_space_and_bad_credentials_in_words(
    confluence: ConfluenceStandIn,
) -> None:
    nowhere = Confluence(confluence.url, wiki_standin.EMAIL, wiki_standin.TOKEN, "NOPE")
    with pytest.raises(TrackerRefused, match="Confluence has no space NOPE"):
        nowhere.publish("t", "<p/>", [])
    wrong = Confluence(confluence.url, wiki_standin.EMAIL, "wrong", "MLOPS")
    with pytest.raises(TrackerRefused, match="does not accept the bot's email and API token"):
        wrong.publish("t", "<p/>", [])


def test_the_stand_in_refuses_storage_that_is_not_xhtml() -> None:
    from tests.pager_standins.base import Refusal

    check_storage('<p>fine <ac:image><ri:attachment ri:filename="a.png" /></ac:image></p>')
    with pytest.raises(Refusal):
        check_storage("<p>unclosed")
