"""Slack's mrkdwn as a browser shows it: safe HTML, never markup its author did not write.

Text arrives as Slack stores it: ``&``, ``<`` and ``>`` escaped as entities, and the only
real ``<...>`` are Slack's own tokens (a mention, a channel, a link, a date, ``<!here>``).
Each token is drawn by what it is; everything between them is un-escaped to the words a
person wrote and then escaped for HTML, so ``&lt;script&gt;`` shows as ``<script>``.
Emphasis (``*bold*``, ``_italic_``, ``~strike~``, ``code``, fenced blocks, ``>`` quotes)
is applied to the escaped text, where none of its markers can start an HTML tag.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from markupsafe import Markup

from bot.text.rendering import EMOJI

_TOKEN = re.compile(r"<([^<>\n]+)>")
_EMPHASIS = [
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "del"),
]
_CODE = re.compile(r"`([^`\n]+)`")
_FENCE = re.compile(r"```\n?(.*?)```", re.S)
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_LOCAL_FILE = re.compile(r"^https://standin\.slack\.invalid/files/[^/]+/(F[A-Z0-9]+)/")

_EMOJI = re.compile(r":([a-z0-9_+-]+):")


class Names:
    """How to name the people and channels a message mentions."""

    def __init__(
        self,
        people: Mapping[str, str] | None = None,
        channels: Mapping[str, str] | None = None,
        link_channel: Callable[[str], str] | None = None,
        link_file: Callable[[str], str] | None = None,
    ) -> None:
        self.people = people or {}
        self.channels = channels or {}
        self.link_channel = link_channel
        self.link_file = link_file  # a file's page here, for the local Slack's permalinks

    def person(self, user_id: str, label: str | None) -> str:
        return self.people.get(user_id) or label or user_id

    def channel(self, channel_id: str, label: str | None) -> str:
        return self.channels.get(channel_id) or label or channel_id


def to_html(text: str, names: Names | None = None, *, plain: bool = False) -> Markup:
    """``text`` (mrkdwn, or ``plain`` text with only emoji codes) as safe HTML."""
    names = names or Names()
    if plain:
        return Markup(_emoji(html.escape(text)).replace("\n", "<br>"))
    fenced: list[str] = []

    def keep_fence(match: re.Match[str]) -> str:
        fenced.append(_inline(match.group(1), names, styled=False))
        return f"\x00{len(fenced) - 1}\x00"

    text = _FENCE.sub(keep_fence, text)
    lines = []
    for line in text.split("\n"):
        quoted = line.startswith("&gt;")
        body = _inline(line[4:].lstrip() if quoted else line, names, styled=True)
        lines.append(f'<span class="quote">{body}</span>' if quoted else body)
    out = "<br>".join(lines)
    out = re.sub(r"\x00(\d+)\x00", lambda m: f"<pre>{fenced[int(m.group(1))]}</pre>", out)
    return Markup(out)


def _inline(text: str, names: Names, *, styled: bool) -> str:
    """One line: Slack's tokens drawn, the words around them escaped and styled. Emphasis
    may span a token (``_unassigned: <@U1> answers for it_`` is italic as a whole), so the
    tokens stand aside as placeholders while the line is styled."""
    tokens: list[str] = []

    def aside(match: re.Match[str]) -> str:
        tokens.append(_token(match.group(1), names))
        return f"\x02{len(tokens) - 1}\x02"

    styled_line = _words(_TOKEN.sub(aside, text), styled)
    return re.sub(r"\x02(\d+)\x02", lambda m: tokens[int(m.group(1))], styled_line)


def _words(text: str, styled: bool) -> str:
    escaped = html.escape(_unescape(text), quote=False)
    if not styled:
        return escaped
    codes: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        codes.append(match.group(1))
        return f"\x01{len(codes) - 1}\x01"

    escaped = _CODE.sub(keep_code, escaped)
    for pattern, tag in _EMPHASIS:
        escaped = pattern.sub(rf"<{tag}>\1</{tag}>", escaped)
    escaped = _emoji(escaped)
    return re.sub(r"\x01(\d+)\x01", lambda m: f"<code>{codes[int(m.group(1))]}</code>", escaped)


def _unescape(text: str) -> str:
    """Slack escapes exactly three characters; nothing else is an entity to it."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _emoji(escaped: str) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), escaped)


def _token(inner: str, names: Names) -> str:
    target, _, label = inner.partition("|")
    label_text = _unescape(label) if label else ""
    if target.startswith("@"):
        shown = names.person(target[1:], label_text or None)
        return f'<span class="mention">@{html.escape(shown)}</span>'
    if target.startswith("#"):
        channel_id = target[1:]
        shown = html.escape("#" + names.channel(channel_id, label_text or None))
        if names.link_channel is not None:
            href = html.escape(names.link_channel(channel_id))
            return f'<a class="channel-link" href="{href}">{shown}</a>'
        return f'<span class="channel-link">{shown}</span>'
    if target.startswith("!"):
        return _special(target[1:], label_text)
    url = _unescape(target)
    local = _LOCAL_FILE.match(url)
    if local and names.link_file is not None:  # the local Slack's permalink: served here
        url = names.link_file(local.group(1))
    if url.startswith(_SAFE_SCHEMES) or local:
        shown = html.escape(label_text or url)
        return f'<a href="{html.escape(url)}" rel="noopener noreferrer" target="_blank">{shown}</a>'
    # Slack reads any other <...> as a link it cannot follow: the brackets go, the words
    # stay. (Text meant to show "<sev>" must be sent as "&lt;sev&gt;".)
    return f'<span class="broken-link">{html.escape(label_text or url)}</span>'


def _special(command: str, label: str) -> str:
    if command.startswith("date^"):
        pieces = command.split("^")
        try:
            when = datetime.fromtimestamp(int(pieces[1]), UTC)
        except (IndexError, ValueError, OverflowError):
            return html.escape(label)
        shown = when.strftime("%b %d, %Y %H:%M UTC")
        return f'<time datetime="{when.isoformat()}">{html.escape(shown)}</time>'
    if command.startswith("subteam^"):
        group = label or "@" + command.split("^", 1)[1]
        return f'<span class="mention">{html.escape(group)}</span>'
    if command in ("here", "channel", "everyone"):
        return f'<span class="mention broadcast">@{command}</span>'
    return html.escape(label or command)
