"""The stand-in acting as Slack towards the bot: signed commands, events, clicks, forms,
shortcuts, and people posting and reacting in channels."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import httpx

if TYPE_CHECKING:
    from tests.slack_standin.server import SlackStandIn

BOT_USER = "UBOTINCIDENT"
# Pass as ``bot_url`` to deliver over Socket Mode instead of HTTP (``socket_mode()``).
SOCKET = "socket-mode:"
TEAM = "T0STANDIN"
APP = "A0STANDIN"


class ActingAsSlack:
    """Mixed into SlackStandIn: what Slack sends to an app, signed as Slack signs it."""

    def signed_headers(
        self, body: bytes, *, timestamp: int | None = None, secret: str | None = None
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        base = b"v0:" + ts.encode() + b":" + body
        digest = hmac.new((secret or self.signing_secret).encode(), base, hashlib.sha256)
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + digest.hexdigest(),
            "Content-Type": "application/x-www-form-urlencoded",
        }

    def _may_act_in(self, user: str, channel: str) -> None:
        """Slack shows a private channel only to its members: nobody else can type or click
        in it, so a test that tries is wrong about what Slack would deliver."""
        found = self.channels.get(channel)
        private = found is not None and found.is_private and not found.name.startswith("dm-")
        if private and found is not None and user not in found.members:
            raise AssertionError(f"{user} cannot act in private #{found.name}: not a member")

    def _new_trigger(self) -> str:
        trigger = f"{next(self._ids)}.{uuid.uuid4().hex[:12]}"
        with self._lock:
            self.triggers[trigger] = time.monotonic()
        return trigger

    def new_response_url(self) -> tuple[str, str]:
        key = uuid.uuid4().hex
        return key, f"{self.base_url}/response/{key}"

    def over_socket(self, kind: str, payload: dict[str, Any]) -> httpx.Response:
        """Deliver over the Socket Mode connection; the acknowledgement as an HTTP answer."""
        ack = self.socket.deliver(kind, payload)
        return httpx.Response(200, json=ack) if ack else httpx.Response(200)

    def post_to_bot(self, bot_url: str, body: bytes, **sign: Any) -> httpx.Response:
        if bot_url == SOCKET:
            form = parse_qs(body.decode())
            return self.over_socket("interactive", json.loads(form["payload"][0]))
        headers = self.signed_headers(body, **sign)
        return httpx.post(
            bot_url.rstrip("/") + "/slack/events", content=body, headers=headers, timeout=10
        )

    def command(
        self,
        bot_url: str,
        text: str,
        *,
        user: str,
        channel: str,
        command: str = "/incident",
        **sign: Any,
    ) -> CommandResult:
        """Send a slash command as Slack does; returns the HTTP answer and its response_url key."""
        prepared = self.prepare_command(text, user=user, channel=channel, command=command, **sign)
        return prepared.send(bot_url)

    def prepare_command(
        self, text: str, *, user: str, channel: str, command: str = "/incident", **sign: Any
    ) -> PreparedCommand:
        """A signed slash command ready to send (for benchmarks: sign before the clock starts)."""
        key, response_url = self.new_response_url()
        channel_obj = self.channels.get(channel)
        self._may_act_in(user, channel)
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "standin",
            "channel_id": channel,
            "channel_name": channel_obj.name if channel_obj else "directmessage",
            "user_id": user,
            "user_name": self.users.get(user, {}).get("name", "someone"),
            "command": command,
            "text": text,
            "api_app_id": APP,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self._new_trigger(),
        }
        body = urlencode(form).encode()
        return PreparedCommand(self, body, self.signed_headers(body, **sign), key)

    def event(
        self,
        bot_url: str,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **sign: Any,
    ) -> httpx.Response:
        """Deliver an Events API event_callback, as Slack does.

        A retry (``retry_num``) carries the first delivery's ``event_id`` and the
        ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason`` headers, as Slack's do.
        """
        envelope = {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": APP,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }
        if bot_url == SOCKET:
            return self.over_socket("events_api", envelope)
        body = json.dumps(envelope).encode()
        headers = {**self.signed_headers(body, **sign), "Content-Type": "application/json"}
        if retry_num:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return self._http.post(bot_url.rstrip("/") + "/slack/events", content=body, headers=headers)

    def say(self, user: str, channel: str, text: str, *, thread_ts: str | None = None) -> str:
        """A person posts a message (as it is stored: Slack's escaped text); returns its ts."""
        with self._lock:
            target = self.channels[channel]
            if user not in target.members:
                raise AssertionError(f"{user} is not in {target.name}")
            message = self._message(target, {"text": text, "thread_ts": thread_ts})
            message["user"] = user
            target.messages.append(message)
            return str(message["ts"])

    def react(
        self,
        bot_url: str,
        *,
        user: str,
        channel: str,
        ts: str,
        name: str = "pushpin",
        removed: bool = False,
        **deliver: Any,
    ) -> tuple[httpx.Response, str]:
        """A person adds (or takes away) a reaction; returns the answer and the event ID."""
        with self._lock:
            message = self._find_message(channel, ts)
            author = message.get("user") if message else None
        event_id = deliver.pop("event_id", None) or f"Ev{next(self._ids):08d}"
        event = {
            "type": "reaction_removed" if removed else "reaction_added",
            "user": user,
            "reaction": name,
            "item_user": author,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": f"{time.time():.6f}",
        }
        return self.event(bot_url, event, event_id=event_id, **deliver), event_id

    def message_shortcut(
        self, bot_url: str, *, user: str, channel: str, ts: str, callback_id: str
    ) -> tuple[httpx.Response, str]:
        """Run a message shortcut from a message's menu; returns the answer and the reply key."""
        with self._lock:
            message = self._find_message(channel, ts)
            if message is None:
                raise AssertionError(f"no message {ts} in {channel}")
            message = dict(message)
        key, response_url = self.new_response_url()
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": self._new_trigger(),
            "action_ts": f"{time.time():.6f}",
            "user": {"id": user, "name": self.users.get(user, {}).get("name", "someone")},
            "channel": {"id": channel, "name": self.channels[channel].name},
            "message_ts": ts,
            "message": message,
            "response_url": response_url,
        }
        return self._interaction(bot_url, payload), key

    def _interaction(self, bot_url: str, payload: dict[str, Any], **sign: Any) -> httpx.Response:
        payload.setdefault("team", {"id": TEAM, "domain": "standin"})
        payload.setdefault("api_app_id", APP)
        payload.setdefault("token", "legacy-verification-token")
        payload.setdefault("is_enterprise_install", False)
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post_to_bot(bot_url, body, **sign)

    def block_action(
        self,
        bot_url: str,
        *,
        user: str,
        channel: str,
        message_ts: str,
        action: dict[str, Any],
        message: dict[str, Any] | None = None,
    ) -> tuple[httpx.Response, str]:
        """Click/select a control on a message the bot posted (``message``: one only the
        user sees, such as a reply on a response_url, which no channel stores)."""
        ephemeral = message is not None
        self._may_act_in(user, channel)
        with self._lock:
            message = (
                message
                or self._find_message(channel, message_ts)
                or next((m for m in self.channels[channel].deleted if m["ts"] == message_ts), None)
            )
            if message is None:
                raise AssertionError(f"no message {message_ts} in {channel}")
            blocks = message.get("blocks") or []
            element = _find_element(blocks, action["action_id"])
            if element is None:
                raise AssertionError(f"message has no control {action['action_id']!r}")
        key, response_url = self.new_response_url()
        payload = {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": self.users.get(user, {}).get("name", "someone"),
                "team_id": TEAM,
            },
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": self._new_trigger(),
            "channel": {"id": channel, "name": self.channels[channel].name},
            "message": message,
            "response_url": response_url,
            "actions": [
                {
                    "type": element["type"],
                    "block_id": element["_block_id"],
                    "action_ts": f"{time.time():.6f}",
                    # Slack sends the element's own value; a test may add what a person picks.
                    **({"value": element["value"]} if "value" in element else {}),
                    **action,
                }
            ],
        }
        return self._interaction(bot_url, payload), key

    def view_action(
        self, bot_url: str, *, user: str, view_id: str, block_id: str, action: dict[str, Any]
    ) -> httpx.Response:
        """Pick something in an open modal's input whose block dispatches actions."""
        with self._lock:
            view = dict(self.views[view_id])
        block = next(b for b in view.get("blocks", []) if b.get("block_id") == block_id)
        if not block.get("dispatch_action"):
            raise AssertionError(f"{block_id} does not send actions; Slack would stay silent")
        element = block["element"]
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": self.users.get(user, {}).get("name", "someone")},
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": self._new_trigger(),
            "view": view,
            "actions": [
                {
                    "type": element["type"],
                    "block_id": block_id,
                    "action_id": element["action_id"],
                    "action_ts": f"{time.time():.6f}",
                    **action,
                }
            ],
        }
        return self._interaction(bot_url, payload)

    def submit_view(
        self, bot_url: str, *, user: str, view_id: str, values: dict[str, Any]
    ) -> httpx.Response:
        """Submit an open modal, filling ``values`` {block_id: value} into its inputs."""
        with self._lock:
            view = self.views[view_id]
        state: dict[str, dict[str, Any]] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            value = values.get(block["block_id"])
            entry: dict[str, Any] = {"type": element["type"]}
            if element["type"] == "static_select":
                options = {o["value"]: o for o in element.get("options", [])}
                if value is not None and value not in options:
                    raise AssertionError(f"{value!r} is not an option of {block['block_id']}")
                entry["selected_option"] = options.get(value) if value else None
            elif element["type"] == "multi_conversations_select":
                entry["selected_conversations"] = list(value or [])
            elif element["type"] == "checkboxes":
                picked = {o["value"]: o for o in element.get("options", [])}
                entry["selected_options"] = [picked[v] for v in (value or [])]
            elif element["type"] == "datetimepicker":
                entry["selected_date_time"] = int(value) if value is not None else None
            else:
                entry["value"] = value
            state[block["block_id"]] = {element["action_id"]: entry}
        payload = {
            "type": "view_submission",
            "user": {
                "id": user,
                "username": self.users.get(user, {}).get("name", "someone"),
                "team_id": TEAM,
            },
            "trigger_id": self._new_trigger(),
            "view": {**view, "state": {"values": state}},
            "response_urls": [],
        }
        return self._interaction(bot_url, payload)


@dataclass
class PreparedCommand:
    slack: SlackStandIn
    body: bytes
    headers: dict[str, str]
    response_key: str

    def send(self, bot_url: str) -> CommandResult:
        started = time.perf_counter()
        if bot_url == SOCKET:
            form = {k: v[0] for k, v in parse_qs(self.body.decode()).items()}
            response = self.slack.over_socket("slash_commands", form)
        else:
            response = self.slack._http.post(
                bot_url.rstrip("/") + "/slack/events", content=self.body, headers=self.headers
            )
        return CommandResult(response, self.response_key, time.perf_counter() - started, self.slack)


@dataclass
class CommandResult:
    """The bot's HTTP answer to a slash command, and what it later sent to the response_url."""

    http: httpx.Response
    response_key: str
    seconds: float
    slack: SlackStandIn

    @property
    def ack_message(self) -> dict[str, Any]:
        """The acknowledgement as Slack reads it: a JSON message, or plain text (ephemeral)."""
        if not self.http.content:
            return {}
        if self.http.headers.get("content-type", "").startswith("application/json"):
            return dict(self.http.json())
        return {"text": self.http.text}

    @property
    def ack_text(self) -> str:
        return str(self.ack_message.get("text", ""))

    def replies(self) -> list[dict[str, Any]]:
        with self.slack._lock:
            return list(self.slack.responses.get(self.response_key, []))

    def wait_reply(self, timeout: float = 10.0) -> dict[str, Any]:
        replies = self.slack.wait_for(self.replies, timeout, "a reply on the response_url")
        return replies[0]


def _find_element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any] | None:
    for block in blocks:
        candidates = list(block.get("elements", []))
        if "accessory" in block:
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("action_id") == action_id:
                return {**element, "_block_id": block.get("block_id", "")}
    return None
