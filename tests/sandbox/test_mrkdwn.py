"""The sandbox draws mrkdwn as Slack does."""

from __future__ import annotations

from bot.sandbox.mrkdwn import to_html


def test_emphasis_spans_a_mention_as_in_slack() -> None:
    """The pinned summary's "_unassigned: @cara (Commander) answers for it_" showed its
    underscores: each stretch between tokens was styled on its own."""
    drawn = str(to_html("_unassigned: <@U0CARA003> (Commander) answers for it_"))
    assert drawn.startswith('<em>unassigned: <span class="mention">') and "_" not in drawn
