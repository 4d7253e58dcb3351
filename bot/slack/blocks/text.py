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

_TOKEN = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"^@([UW][A-Z0-9]+)(?:\|([^>]*))?$")
_CHANNEL = re.compile(r"^#([CG][A-Z0-9]+)(?:\|([^>]*))?$")
_SPECIAL = re.compile(r"^!(here|channel|everyone)(?:\|[^>]*)?$")
_SUBTEAM = re.compile(r"^!subteam\^[A-Z0-9]+(?:\|([^>]*))?$")
_LINK = re.compile(r"^((?:https?|mailto):[^|]*)(?:\|(.*))?$")


_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_HANDLE = re.compile(r"^@[\w.\-]+$")


def mentioned_user(token: str) -> str | None:
    """The user ID in a mention token as Slack sends it (``<@U123|cara>``), else None."""
    match = _MENTION.match(token.strip())
    return match.group(1) if match else None


def names_a_person(token: str) -> bool:
    """Whether a word of command text is a person: a mention token or a plain ``@handle``."""
    return mentioned_user(token) is not None or _HANDLE.match(token) is not None


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plain_token(body: str) -> str:
    if match := _USER.match(body):
        return "@" + (match.group(2) or match.group(1))
    if match := _CHANNEL.match(body):
        return "#" + (match.group(2) or match.group(1))
    if match := _SPECIAL.match(body):
        return "@" + match.group(1)
    if match := _SUBTEAM.match(body):
        return "@" + (match.group(1) or "team").lstrip("@")
    if match := _LINK.match(body):
        url, label = match.group(1), match.group(2)
        return f"{label} ({url})" if label and label != url else url
    return f"<{body}>"


def plain_from_slack(text: str) -> str:
    """Turn Slack's escaped command text into the plain text a person typed."""
    parts: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        parts.append(_unescape(text[last : match.start()]))
        parts.append(_plain_token(_unescape(match.group(1))))
        last = match.end()
    parts.append(_unescape(text[last:]))
    return "".join(parts)


_EMOJI = re.compile(r"(?<![\w:]):[a-z0-9_+'-]*[a-z][a-z0-9_+'-]*:(?!\w)\s?")
_EMPHASIS = [
    re.compile(rf"(?<![\w{m}]){re.escape(m)}(?=\S)([^\n]+?)(?<=\S){re.escape(m)}(?![\w{m}])")
    for m in "*_~"
]


def words_from_slack(text: str) -> str:
    """A Slack message as plain words for the timeline: tokens as :func:`plain_from_slack`
    reads them, and no emoji codes or emphasis marks, which only Slack would draw."""
    words = _EMOJI.sub("", plain_from_slack(text))
    for pattern in _EMPHASIS:
        words = pattern.sub(r"\1", words)
    return words.strip()


def escape(text: str) -> str:
    """Make stored text safe for mrkdwn and ``text`` fields: no pings, links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
    """Cut to ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = re.sub(r"&[a-z]{0,4}$", "", text[: limit - 1])  # never half an entity
    return cut.rstrip() + "…"


def mention(user_id: str | None) -> str:
    """A real user mention for an ID we stored ourselves (never for free text)."""
    return f"<@{user_id}>" if user_id else "_unassigned_"


def channel_link(channel_id: str | None, name: str | None = None) -> str:
    if channel_id:
        return f"<#{channel_id}>"
    return f"#{escape(name)}" if name else "_(channel not created yet)_"
