"""Slack's own limits, checked the way Slack checks them (error codes as Slack names them)."""

from __future__ import annotations

import re
from typing import Any

CHANNEL_NAME_MAX = 80
_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")
MESSAGE_BLOCKS_MAX = 50
MODAL_BLOCKS_MAX = 100
TEXT_MAX = 40_000
TOPIC_MAX = 250
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
ACTION_ID_MAX = 255
ACTIONS_ELEMENTS_MAX = 25
CONTEXT_ELEMENTS_MAX = 10
MODAL_TITLE_MAX = 24
PLACEHOLDER_MAX = 150
OPTION_TEXT_MAX = 75


# The scope each method needs of a bot token (public channels; a revoked scope makes
# the method answer missing_scope).
SCOPE_NEEDED = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "conversations.create": "channels:manage",
    "conversations.setTopic": "channels:manage",
    "conversations.invite": "channels:manage",
    "conversations.archive": "channels:manage",
    "conversations.rename": "channels:manage",
    "pins.add": "pins:write",
    "bookmarks.add": "bookmarks:write",
    "reactions.get": "reactions:read",
    "users.lookupByEmail": "users:read.email",
}


class SlackError(Exception):
    def __init__(self, error: str, detail: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.detail = detail


def check_channel_name(name: str) -> None:
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > CHANNEL_NAME_MAX:
        raise SlackError("invalid_name_maxlength")
    if name != name.lower() or not _CHANNEL_NAME.match(name):
        raise SlackError("invalid_name_specials")
    if not re.search(r"[a-z0-9]", name):
        raise SlackError("invalid_name_punctuation")


PLAIN_OR_MRKDWN = ("plain_text", "mrkdwn")


def _text(obj: Any, where: str, limit: int, kinds: tuple[str, ...] = PLAIN_OR_MRKDWN) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        raise SlackError("invalid_blocks", f"{where} must be a {' or '.join(kinds)} text object")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        raise SlackError("invalid_blocks", f"{where} text is empty")
    if len(text) > limit:
        raise SlackError("invalid_blocks", f"{where} text longer than {limit}")


def _element(element: dict[str, Any], where: str) -> None:
    if len(str(element.get("action_id", ""))) > ACTION_ID_MAX:
        raise SlackError("invalid_blocks", f"{where} action_id too long")
    kind = element.get("type")
    if kind == "button":
        _text(element.get("text"), f"{where} button", BUTTON_TEXT_MAX, ("plain_text",))
    if "placeholder" in element:
        _text(element["placeholder"], f"{where} placeholder", PLACEHOLDER_MAX, ("plain_text",))
    for option in element.get("options", []):
        _text(option.get("text"), f"{where} option", OPTION_TEXT_MAX)
        if "description" in option:
            _text(option["description"], f"{where} option description", OPTION_TEXT_MAX)
    initial_user = element.get("initial_user")
    if kind == "users_select" and initial_user and not re.match(r"^[UW][A-Z0-9]+$", initial_user):
        raise SlackError("invalid_blocks", f"{where} initial_user is not a user ID")


def check_blocks(blocks: Any, limit: int = MESSAGE_BLOCKS_MAX) -> None:
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if len(blocks) > limit:
        raise SlackError("invalid_blocks", f"more than {limit} blocks")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        kind = block.get("type")
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen_ids:
                raise SlackError("invalid_blocks", f"{where} duplicate block_id")
            seen_ids.add(block_id)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                raise SlackError("invalid_blocks", f"{where} section needs text or fields")
            if "text" in block:
                _text(block["text"], where, SECTION_TEXT_MAX)
            fields = block.get("fields", [])
            if len(fields) > SECTION_FIELDS_MAX:
                raise SlackError("invalid_blocks", f"{where} more than 10 fields")
            for j, field in enumerate(fields):
                _text(field, f"{where}.fields[{j}]", FIELD_TEXT_MAX)
            if "accessory" in block:
                _element(block["accessory"], where)
        elif kind == "header":
            _text(block.get("text"), where, HEADER_TEXT_MAX, ("plain_text",))
        elif kind == "actions":
            elements = block.get("elements", [])
            if not elements or len(elements) > ACTIONS_ELEMENTS_MAX:
                raise SlackError("invalid_blocks", f"{where} needs 1 to 25 elements")
            for j, element in enumerate(elements):
                _element(element, f"{where}.elements[{j}]")
        elif kind == "context":
            elements = block.get("elements", [])
            if not elements or len(elements) > CONTEXT_ELEMENTS_MAX:
                raise SlackError("invalid_blocks", f"{where} needs 1 to 10 elements")
        elif kind == "input":
            _text(block.get("label"), f"{where} label", 2000, ("plain_text",))
            _element(block.get("element", {}), where)
        elif kind not in {"divider", "image", "rich_text", "file", "video", "markdown"}:
            raise SlackError("invalid_blocks", f"{where} unknown block type {kind!r}")


def check_view(view: Any) -> None:
    """views.open/update answer every malformed view with invalid_arguments."""
    try:
        _check_view(view)
    except SlackError as exc:
        raise SlackError("invalid_arguments", exc.detail or exc.error) from None


def _check_view(view: Any) -> None:
    if not isinstance(view, dict) or view.get("type") not in {"modal", "home"}:
        raise SlackError("invalid_arguments", "view must be a modal or home view")
    if view["type"] == "modal":
        _text(view.get("title"), "view.title", MODAL_TITLE_MAX, ("plain_text",))
        for key in ("submit", "close"):
            if key in view:
                _text(view[key], f"view.{key}", MODAL_TITLE_MAX, ("plain_text",))
    if len(view.get("private_metadata", "")) > 3000:
        raise SlackError("invalid_arguments", "private_metadata longer than 3000")
    check_blocks(view.get("blocks", []), MODAL_BLOCKS_MAX)


def check_message(args: dict[str, Any]) -> None:
    text = args.get("text") or ""
    blocks = args.get("blocks")
    if not text and not blocks:
        raise SlackError("no_text")
    if len(text) > TEXT_MAX:
        raise SlackError("msg_too_long")
    if blocks is not None:
        check_blocks(blocks)


BOOKMARKS_MAX = 100


def is_web_link(link: str) -> bool:
    """bookmarks.add takes absolute http(s) URLs only."""
    return bool(re.match(r"^https?://[^\s/<>|]+(/\S*)?$", link)) and len(link) <= 2000


# Rate limits per method, as calls allowed per minute (Slack's tiers), with a burst.
TIER_PER_MINUTE = {
    "conversations.create": 20,
    "conversations.invite": 50,
    "conversations.setTopic": 50,
    "conversations.info": 100,
    "pins.add": 20,
    "bookmarks.add": 20,
    "chat.update": 100,
    "views.open": 100,
    "views.update": 100,
    "users.info": 100,
    "users.conversations": 50,
    "auth.test": 100,
}
