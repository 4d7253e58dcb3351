"""How stored text reaches each surface: the one place that knows their markup.

What people and the bot write is stored as words (no Slack escaping, no markup the
author did not type). Each surface gets it through one function here:

- :func:`for_slack`: Slack mrkdwn and ``text`` fields, escaped, so stored text can never
  become a ``<!channel>`` ping, a link or a mention its author did not write;
- :func:`plain`: a console list, a ticket title, a status page, a language model, a
  terminal: emoji codes become their characters (or go); Slack's own markup (its
  ``<...>`` tokens and emphasis) becomes the words it shows;
- :func:`for_html`: plain text escaped for HTML (Jinja's autoescape does the same);
- :func:`for_markdown`: one line of Markdown that reads as typed (no link, emphasis,
  heading or table cell its author did not mean); :func:`for_github` the same for
  GitHub's issues, lines kept and no mention or issue link made;

:func:`cut` shortens at a word with an ellipsis; :func:`cut_for_slack` does the same to
escaped text without splitting an entity.
"""

from __future__ import annotations

import html
import re
from typing import Any

# The emoji codes the bot writes, and a few people use. Outside Slack each becomes its
# character; an unknown one goes.
EMOJI = {
    "red_circle": "🔴",
    "large_orange_circle": "🟠",
    "large_yellow_circle": "🟡",
    "large_blue_circle": "🔵",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "warning": "⚠️",
    "rotating_light": "🚨",
    "pushpin": "📌",
    "bell": "🔔",
    "bar_chart": "📊",
    "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉",
    "lock": "🔒",
    "memo": "📝",
    "busts_in_silhouette": "👥",
    "bust_in_silhouette": "👤",
    "mag": "🔍",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "x": "❌",
    "no_entry": "⛔",
    "rewind": "⏪",
    "leftwards_arrow_with_hook": "↩️",
    "arrow_right": "➡️",
    "arrow_up": "⬆️",
    "arrow_down": "⬇️",
    "clipboard": "📋",
    "speech_balloon": "💬",
    "loudspeaker": "📢",
    "mega": "📣",
    "globe_with_meridians": "🌐",
    "books": "📚",
    "ticket": "🎫",
    "no_entry_sign": "🚫",
    "grey_question": "❔",
    "pager": "📟",
    "telephone_receiver": "📞",
    "fire": "🔥",
    "robot_face": "🤖",
    "gear": "⚙️",
    "link": "🔗",
    "page_facing_up": "📄",
    "calendar": "📆",
    "clock3": "🕒",
    "stopwatch": "⏱️",
    "information_source": "ℹ️",
    "question": "❓",
    "thumbsup": "👍",
    "+1": "👍",
    "eyes": "👀",
    "tada": "🎉",
    "performing_arts": "🎭",
    "dart": "🎯",
    "traffic_light": "🚦",
    "package": "📦",
    "scales": "⚖️",
    "shield": "🛡️",
    "test_tube": "🧪",
    "construction": "🚧",
    "alarm_clock": "⏰",
    "arrow_forward": "▶️",
    "arrows_counterclockwise": "🔄",
    "checkered_flag": "🏁",
    "floppy_disk": "💾",
    "heavy_plus_sign": "➕",
    "inbox_tray": "📥",
    "large_green_circle": "🟢",
    "raised_hand": "✋",
    "repeat": "🔁",
    "small_blue_diamond": "🔹",
    "white_circle": "⚪",
}

_SHORTCODE = re.compile(r"(?<![\w:]):([a-z0-9_+'-]*[a-z][a-z0-9_+'-]*):(?!\w)( ?)")
_EMPHASIS = [
    re.compile(rf"(?<![\w{m}]){re.escape(m)}(?=\S)([^\n]+?)(?<=\S){re.escape(m)}(?![\w{m}])")
    for m in "*_~"
]
_TOKEN = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"^@([UW][A-Z0-9]+)(?:\|([^>]*))?$")
_CHANNEL = re.compile(r"^#([CG][A-Z0-9]+)(?:\|([^>]*))?$")
_SPECIAL = re.compile(r"^!(here|channel|everyone)(?:\|[^>]*)?$")
_SUBTEAM = re.compile(r"^!subteam\^[A-Z0-9]+(?:\|([^>]*))?$")
_LINK = re.compile(r"^((?:https?|mailto):[^|]*)(?:\|(.*))?$")


def emoji(text: str, *, keep_unknown: bool = False) -> str:
    """Emoji codes (``:warning:``) as their characters. An unknown code goes (outside Slack
    it would read as punctuation), unless ``keep_unknown``."""

    def one(match: re.Match[str]) -> str:
        character = EMOJI.get(match.group(1))
        if character is not None:
            return character + match.group(2)
        return match.group(0) if keep_unknown else ""

    return _SHORTCODE.sub(one, text)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token_words(body: str) -> str | None:
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
    return None


def from_mrkdwn(text: str) -> str:
    """Slack mrkdwn (as Slack sends it, or as the bot wrote it) as the words it shows:
    ``<@U1|cara>`` is ``@cara``, ``<https://x|the run>`` is ``the run (https://x)``,
    ``&lt;`` is ``<``. Emphasis marks and emoji codes are left for :func:`plain`."""
    parts: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        parts.append(_unescape(text[last : match.start()]))
        body = _unescape(match.group(1))
        words = _token_words(body)
        parts.append(words if words is not None else f"<{body}>")
        last = match.end()
    parts.append(_unescape(text[last:]))
    return "".join(parts)


def plain(text: Any, *, mrkdwn: bool = False, drop_emoji: bool = False) -> str:
    """Words for a surface without Slack's markup. Emoji codes become characters (unknown
    ones go; with ``drop_emoji`` all go, as decoration a record of facts does without).
    What a person typed is otherwise kept as typed, ``*`` and ``_`` included. With
    ``mrkdwn`` the text is Slack's own (escaped, with ``<...>`` tokens, ``*bold*``) and
    reads as what Slack shows: tokens as :func:`from_mrkdwn` reads them, no emphasis marks."""
    words = str(text or "")
    if mrkdwn:
        words = from_mrkdwn(words)
        for pattern in _EMPHASIS:
            words = pattern.sub(r"\1", words)
    words = _SHORTCODE.sub("", words) if drop_emoji else emoji(words)
    return "\n".join(line.rstrip() for line in words.strip().split("\n"))


def for_slack(text: Any) -> str:
    """Stored text for mrkdwn and ``text`` fields: ``&``, ``<`` and ``>`` escaped, so it
    cannot ping, link or mention anyone its author did not."""
    return str(text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def for_html(text: Any, *, mrkdwn: bool = False) -> str:
    """:func:`plain` words escaped for HTML, line breaks kept as ``<br>``."""
    return html.escape(plain(text, mrkdwn=mrkdwn)).replace("\n", "<br>")


# Characters that start Markdown (CommonMark and GitHub's) inline syntax: emphasis,
# code, links and images, tables, strikethrough, headings. A backslash makes each literal.
_INLINE = re.compile(r"([\\`*_\[\]|~#])")
# What makes a block of the line it starts: an ordered item, a list item, a setext rule.
_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=])")


_ENDS_A_SENTENCE = tuple(".!?:;,…")


def one_line(text: Any) -> str:
    """Text of several lines as one line that still reads: a line that ends without
    punctuation gets a full stop before the next (``…payments`` then ``What is
    affected: …`` reads ``…payments. What is affected: …``), spaces collapsed."""
    lines = [" ".join(line.split()) for line in str(text or "").splitlines()]
    lines = [line for line in lines if line]
    joined = [
        line if n == len(lines) - 1 or line.endswith(_ENDS_A_SENTENCE) else line + "."
        for n, line in enumerate(lines)
    ]
    return " ".join(joined)


def for_markdown(text: Any, *, mrkdwn: bool = False) -> str:
    """:func:`plain` words as one line of Markdown that reads as its author wrote it: no
    HTML a viewer would run, and no Markdown (links, images, emphasis, table cells,
    headings, list items, autolinks) its author did not mean."""
    flat = one_line(plain(text, mrkdwn=mrkdwn))
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _INLINE.sub(r"\\\1", flat)
    flat = flat.replace("://", "\\://")
    return _BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", flat)


# Every ASCII punctuation mark may be escaped in CommonMark; escaping them all means
# nothing typed becomes emphasis, a link, a heading, a table or raw HTML.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def for_github(text: Any) -> str:
    """:func:`plain` words as GitHub Markdown that shows them as typed, lines kept. GitHub
    turns @name into a mention and #12 into a link after the Markdown is read, which
    escaping does not stop: a zero-width space after the sign does."""
    escaped = _PUNCTUATION.sub(r"\\\1", emoji(str(text or "")))
    return escaped.replace("\\@", "\\@\u200b").replace("\\#", "\\#\u200b")


def markdown_url(link: Any) -> str:
    """A link target for ``[text](…)``: only http(s), and nothing that ends the link."""
    url = str(link or "")
    return url if re.match(r"^https?://[^\s()<>]+$", url) else "#"


def cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters, cut at a word with an ellipsis when it must
    be cut (a word cut in half reads as a typo)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    at = max(head.rfind(" "), head.rfind("\n"))
    if at >= limit // 2:
        head = head[:at]
    return head.rstrip(" ,;:.-\n") + "…"


def cut_for_slack(escaped: str, limit: int) -> str:
    """Escaped mrkdwn at most ``limit`` characters, cut at a word with an ellipsis, never
    inside an entity such as ``&amp;``."""
    if len(escaped) <= limit:
        return escaped
    head = re.sub(r"&[a-z]{0,4}$", "", escaped[: limit - 1])
    at = max(head.rfind(" "), head.rfind("\n"))
    if at >= limit // 2:
        head = head[:at]
    return head.rstrip(" ,;:.-\n") + "…"


def count(n: int, one: str, many: str | None = None) -> str:
    """``1 member``, ``3 members``: a number with its noun agreeing."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def times(n: int) -> str:
    """How often: ``once``, ``twice``, ``3 times``."""
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")
