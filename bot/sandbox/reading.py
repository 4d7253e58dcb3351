"""What a person reads in what the bot posted: the words of Block Kit, the labels of
its buttons, the messages of a channel they can see. Tests assert on these, not on the
JSON Slack is sent."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.sandbox.mrkdwn import to_html


def text_objects(node: object, kind: str | None = None) -> list[dict[str, Any]]:
    """Every text object (of ``kind``, ``mrkdwn`` or ``plain_text``, if given) anywhere
    in a Block Kit structure, in the order a person reads them."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
            if kind is None or node["type"] == kind:
                found.append(node)
            return found
        for value in node.values():
            found += text_objects(value, kind)
    elif isinstance(node, list):
        for value in node:
            found += text_objects(value, kind)
    return found


def readable(blocks: object) -> str:
    """The words of ``blocks`` as Slack shows them, one text object (or text a form's
    field is filled with) a line; mrkdwn as written: ``*bold*`` stays ``*bold*``, a
    mention stays ``<@U…>``."""
    return "\n".join(_words(blocks or []))


def _words(node: object) -> list[str]:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
            return [str(node["text"])]
        found = [str(node["initial_value"])] if isinstance(node.get("initial_value"), str) else []
        for key, value in node.items():
            if key != "initial_value":
                found += _words(value)
        return found
    if isinstance(node, list):
        return [word for value in node for word in _words(value)]
    return []


def _elements(node: object) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "type" in node and "action_id" in node:
            found.append(node)
        for value in node.values():
            found += _elements(value)
    elif isinstance(node, list):
        for value in node:
            found += _elements(value)
    return found


def buttons(blocks: object) -> list[str]:
    """The labels of the buttons in ``blocks``."""
    return [
        str(e["text"]["text"]) for e in _elements(blocks) if e["type"] == "button" and "text" in e
    ]


def controls(blocks: object) -> list[str]:
    """Every control a person can use in ``blocks``: buttons by their label, menus and
    pickers by their placeholder (or their type, when they have none)."""
    shown = []
    for element in _elements(blocks):
        label = element.get("text") or element.get("placeholder") or {}
        shown.append(str(label.get("text") or element["type"]))
    return shown


def message_text(message: dict[str, Any]) -> str:
    """A message as read: its text (what notifications show), then its blocks' words."""
    return "\n".join(
        filter(None, [str(message.get("text") or ""), readable(message.get("blocks"))])
    )


def shown(mrkdwn: str) -> str:
    """The words a person sees for ``mrkdwn``, drawn as the sandbox's page draws them:
    entities decoded, tokens named, emphasis marks gone. ``<sev>`` written raw is one
    of Slack's tokens, not the text "<sev>"."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(to_html(mrkdwn)).replace("<br>", "\n")))
