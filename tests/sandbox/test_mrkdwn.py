"""The sandbox draws mrkdwn as Slack does."""

from __future__ import annotations

from bot.sandbox.mrkdwn import Names, to_html


def test_emphasis_spans_a_mention_as_in_slack() -> None:
    """The pinned summary's "_unassigned: @cara (Commander) answers for it_" showed its
    underscores: each stretch between tokens was styled on its own."""
    drawn = str(to_html("_unassigned: <@U0CARA003> (Commander) answers for it_"))
    assert drawn.startswith('<em>unassigned: <span class="mention">') and "_" not in drawn


def test_a_link_to_a_file_of_the_local_slack_opens_it_on_the_page() -> None:
    """The pinned summary's post-mortem link is the local Slack's permalink, which no
    browser can open: the page draws it as its own file's address."""
    names = Names(link_file=lambda file_id: f"/sandbox/files/{file_id}?person=U0ALICE01")
    link = "<https://standin.slack.invalid/files/UBOT/F00000064/postmortem-INC-1.md|Post-mortem>"
    shown = str(to_html(link, names))
    assert 'href="/sandbox/files/F00000064?person=U0ALICE01"' in shown and ">Post-mortem<" in shown
    # Elsewhere (no page to serve it), the link is left as it is.
    assert 'href="https://standin.slack.invalid/files/UBOT/F00000064/' in str(to_html(link))
