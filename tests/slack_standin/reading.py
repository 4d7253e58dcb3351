"""What a person reads in what the bot posted: the words of Block Kit, the labels of
its buttons, the messages of a channel they can see. Tests assert on these, not on the
JSON Slack is sent."""

from __future__ import annotations

from typing import Any


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
    """The words of ``blocks`` as Slack shows them, one text object a line (mrkdwn as
    written: ``*bold*`` stays ``*bold*``, a mention stays ``<@U…>``)."""
    return "\n".join(str(t["text"]) for t in text_objects(blocks or []))


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
    """A message as read: its blocks' words, or its text when it has no blocks."""
    return readable(message["blocks"]) if message.get("blocks") else str(message.get("text", ""))
