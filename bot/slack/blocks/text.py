"""Text crossing the Slack boundary, in both directions.

Inbound, Slack sends command text escaped (``&amp; &lt; &gt;``) with mentions
and links as ``<...>`` tokens. We store what a person reads: plain text.
Outbound, every piece of stored text is escaped again, so a title or an alert
annotation can never become a ``<!channel>`` ping, a link or a user mention
that its author did not write.
"""

from __future__ import annotations

import re

from bot.incidents.errors import InvalidInput
from bot.incidents.permissions import NotAllowed
from bot.text import rendering

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_HANDLE = re.compile(r"^@[\w.\-]+$")


def mentioned_user(token: str) -> str | None:
    """The user ID in a mention token as Slack sends it (``<@U123|cara>``), else None."""
    match = _MENTION.match(token.strip())
    return match.group(1) if match else None


def names_a_person(token: str) -> bool:
    """Whether a word of command text is a person: a mention token or a plain ``@handle``."""
    return mentioned_user(token) is not None or _HANDLE.match(token) is not None


def plain_from_slack(text: str) -> str:
    """Turn Slack's escaped command text into the plain text a person typed."""
    return rendering.from_mrkdwn(text)


def words_from_slack(text: str) -> str:
    """A Slack message as plain words for the timeline: tokens as :func:`plain_from_slack`
    reads them, and no emoji codes or emphasis marks, which only Slack would draw."""
    return rendering.plain(text, mrkdwn=True, drop_emoji=True)


def escape(text: str) -> str:
    """Make stored text safe for mrkdwn and ``text`` fields: no pings, links or mentions."""
    return rendering.for_slack(text)


class MrkdwnRefusal(InvalidInput):
    """A refusal the Slack adapter wrote itself as mrkdwn, with mentions it means;
    anything quoted in it was escaped where it was written."""


def refusal(problem: BaseException) -> str:
    """An error's message for Slack. Messages are plain text and often quote what a
    person or an alert sent, so they are escaped like any other such text."""
    if isinstance(problem, MrkdwnRefusal):
        return str(problem)
    if isinstance(problem, NotAllowed):  # the people it names, as mentions
        return problem.render(lambda user: f"<@{user}>", lambda group: f"<!subteam^{group}>")
    return escape(str(problem))


def truncate(text: str, limit: int) -> str:
    """Cut escaped mrkdwn to ``limit`` characters at a word, marking the cut with an
    ellipsis and never splitting an entity."""
    return rendering.cut_for_slack(text, limit)


def mention(user_id: str | None) -> str:
    """A real user mention for an ID we stored ourselves (never for free text)."""
    return f"<@{user_id}>" if user_id else "_unassigned_"


def channel_link(channel_id: str | None, name: str | None = None) -> str:
    if channel_id:
        return f"<#{channel_id}>"
    return f"#{escape(name)}" if name else "_(channel not created yet)_"
