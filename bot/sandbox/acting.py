"""The stand-in acting as Slack towards the bot: signed commands, events, clicks, forms,
shortcuts, and people posting and reacting in channels."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, urlencode

import httpx

if TYPE_CHECKING:
    import threading
    from collections.abc import Iterator

    from bot.sandbox.slack_api import Channel, SlackStandIn

BOT_USER = "UBOTINCIDENT"
# Pass as ``bot_url`` to deliver over Socket Mode instead of HTTP (``socket_mode()``).
SOCKET = "socket-mode:"
TEAM = "T0STANDIN"
APP = "A0STANDIN"


class ActingAsSlack:
    """Mixed into SlackStandIn: what Slack sends to an app, signed as Slack signs it."""

    if TYPE_CHECKING:  # kept by SlackStandIn
        _lock: threading.RLock
        _ids: Iterator[int]
        _http: httpx.Client
        signing_secret: str
        socket: Any
        channels: dict[str, Channel]
        users: dict[str, dict[str, Any]]
        views: dict[str, dict[str, Any]]
        modals: dict[str, list[str]]
        view_errors: dict[str, dict[str, str]]
        triggers: dict[str, float]
        trigger_users: dict[str, str]
        reply_to: dict[str, tuple[str | None, str | None, str | None]]

        @property
        def base_url(self) -> str: ...
        def changed(self) -> None: ...
        def show_reply(self, key: str, message: dict[str, Any]) -> None: ...
        def _new_id(self, prefix: str) -> str: ...
        def _message(self, channel: Channel, args: dict[str, Any]) -> dict[str, Any]: ...
        def _find_message(self, channel_id: str, ts: str) -> dict[str, Any] | None: ...

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

    def _new_trigger(self, user: str | None = None) -> str:
        trigger = f"{next(self._ids)}.{uuid.uuid4().hex[:12]}"
        with self._lock:
            self.triggers[trigger] = time.monotonic()
            if user is not None:
                self.trigger_users[trigger] = user  # a modal it opens is shown to them
        return trigger

    def new_response_url(
        self,
        user: str | None = None,
        channel: str | None = None,
        ts: str | None = None,
    ) -> tuple[str, str]:
        """A response_url; what the app sends to it is shown to ``user`` in ``channel``
        (replacing the message ``ts`` when it asks to)."""
        key = uuid.uuid4().hex
        with self._lock:
            self.reply_to[key] = (user, channel, ts)
        return key, f"{self.base_url}/response/{key}"

    def typed(self, text: str) -> str:
        """What a person typed, as Slack delivers it (the command is installed with
        ``should_escape``): ``&``, ``<`` and ``>`` escaped, ``@name`` of a person in the
        workspace turned into a mention and ``#name`` of a channel into a link."""
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        with self._lock:
            people = {u["name"].lower(): u["id"] for u in self.users.values() if not u["deleted"]}
            channels = {c.name: c.id for c in self.channels.values() if not c.is_private}

        def person(match: re.Match[str]) -> str:
            found = people.get(match.group(1).lower())
            return f"<@{found}|{match.group(1).lower()}>" if found else match.group(0)

        def channel(match: re.Match[str]) -> str:
            found = channels.get(match.group(1))
            return f"<#{found}|{match.group(1)}>" if found else match.group(0)

        escaped = re.sub(r"(?<![\w<])@([A-Za-z][\w.-]*)", person, escaped)
        return re.sub(r"(?<![\w<&])#([a-z0-9_-]+)", channel, escaped)

    def join(self, user: str, channel: str) -> None:
        """A person joins a public channel (as they may, from the channel browser)."""
        with self._lock:
            target = self.channels[channel]
            if target.is_private:
                raise AssertionError(f"#{target.name} is private: only an invitation lets in")
            target.members.add(user)
        self.changed()

    def close_view(self, user: str, view_id: str) -> None:
        """The person closes the modal (Cancel or the x): it and any under it go."""
        with self._lock:
            self.modals.pop(user, None)
            self.view_errors.pop(view_id, None)
        self.changed()

    def open_views(self, user: str) -> list[dict[str, Any]]:
        """The modals ``user`` has open, the one on top last."""
        with self._lock:
            return [self.views[v] for v in self.modals.get(user, []) if v in self.views]

    def _after_submission(self, user: str, view_id: str, answer: httpx.Response) -> None:
        """What Slack does with a modal once the app answers its submission: an empty
        200 closes it; ``response_action`` shows errors beside inputs, updates it,
        pushes another, or clears the stack."""
        try:
            body = answer.json() if answer.status_code == 200 and answer.content else {}
        except ValueError:
            body = {}
        action = body.get("response_action") if isinstance(body, dict) else None
        with self._lock:
            stack = self.modals.setdefault(user, [])
            if answer.status_code != 200:
                # Slack keeps the modal open and says it could not reach the app.
                self.view_errors[view_id] = {"": "We had some trouble connecting. Try again?"}
            elif action == "errors":
                self.view_errors[view_id] = dict(body.get("errors") or {})
            elif action == "update":
                old = self.views.get(view_id, {})
                self.views[view_id] = {
                    **body["view"],
                    "id": view_id,
                    "team_id": TEAM,
                    "hash": uuid.uuid4().hex,
                    "private_metadata": body["view"].get(
                        "private_metadata", old.get("private_metadata", "")
                    ),
                }
                self.view_errors.pop(view_id, None)
            elif action == "push":
                pushed = self._new_id("V")
                self.views[pushed] = {
                    **body["view"],
                    "id": pushed,
                    "team_id": TEAM,
                    "hash": uuid.uuid4().hex,
                }
                stack.append(pushed)
            elif action == "clear":
                stack.clear()
            else:
                self.view_errors.pop(view_id, None)
                if view_id in stack:
                    del stack[stack.index(view_id) :]
        self.changed()

    def show_ack(self, user: str, channel: str, key: str, answer: httpx.Response) -> None:
        """Show a command's acknowledgement as Slack does: its body to the person who
        typed it, or Slack's own words when the app failed to answer in time."""
        if answer.status_code != 200:
            message: dict[str, Any] = {
                "text": f'/incident failed with the error "http_service_error" '
                f"({answer.status_code})"
            }
        elif not answer.content:
            return
        elif answer.headers.get("content-type", "").startswith("application/json"):
            message = dict(answer.json())
        else:
            message = {"text": answer.text}
        with self._lock:
            self.reply_to.setdefault(key, (user, channel, None))
            self.show_reply(key, message)
        self.changed()

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
        self,
        text: str,
        *,
        user: str,
        channel: str,
        command: str = "/incident",
        **sign: Any,
    ) -> PreparedCommand:
        """A signed slash command ready to send (for benchmarks: sign before the clock starts)."""
        key, response_url = self.new_response_url(user, channel)
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
            "trigger_id": self._new_trigger(user),
        }
        body = urlencode(form).encode()
        return PreparedCommand(
            cast("SlackStandIn", self),
            body,
            self.signed_headers(body, **sign),
            key,
            user=user,
            channel=channel,
        )

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
        self.changed()
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
            if message is not None:
                _count_reaction(message, name, user, removed)
        self.changed()
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
        key, response_url = self.new_response_url(user, channel, ts)
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": self._new_trigger(user),
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
            element = find_element(blocks, action["action_id"])
            if element is None:
                raise AssertionError(f"message has no control {action['action_id']!r}")
        key, response_url = self.new_response_url(user, channel, message_ts)
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
            "trigger_id": self._new_trigger(user),
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
        self,
        bot_url: str,
        *,
        user: str,
        view_id: str,
        block_id: str,
        action: dict[str, Any],
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
            "trigger_id": self._new_trigger(user),
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
            state[block["block_id"]] = {
                element["action_id"]: input_state(element, values.get(block["block_id"]))
            }
        payload = {
            "type": "view_submission",
            "user": {
                "id": user,
                "username": self.users.get(user, {}).get("name", "someone"),
                "team_id": TEAM,
            },
            "trigger_id": self._new_trigger(user),
            "view": {**view, "state": {"values": state}},
            "response_urls": [],
        }
        answer = self._interaction(bot_url, payload)
        self._after_submission(user, view_id, answer)
        return answer


@dataclass
class PreparedCommand:
    slack: SlackStandIn
    body: bytes
    headers: dict[str, str]
    response_key: str
    user: str = ""
    channel: str = ""

    def send(self, bot_url: str) -> CommandResult:
        started = time.perf_counter()
        if bot_url == SOCKET:
            form = {k: v[0] for k, v in parse_qs(self.body.decode()).items()}
            response = self.slack.over_socket("slash_commands", form)
        else:
            response = self.slack._http.post(
                bot_url.rstrip("/") + "/slack/events", content=self.body, headers=self.headers
            )
        if self.user:
            self.slack.show_ack(self.user, self.channel, self.response_key, response)
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
        return dict(replies[0])


def input_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """What Slack puts in a submitted view's state for one input, given what the person
    chose: an option's value, a list of them, a user or channel ID, a date, text."""
    kind = element["type"]
    entry: dict[str, Any] = {"type": kind}
    options = {o["value"]: o for o in element.get("options", [])}
    for group in element.get("option_groups", []):
        options.update({o["value"]: o for o in group.get("options", [])})
    if kind in ("static_select", "radio_buttons"):
        if value and value not in options:
            raise AssertionError(f"{value!r} is not an option of {element['action_id']}")
        entry["selected_option"] = options.get(value) if value else None
    elif kind in ("multi_static_select", "checkboxes"):
        missing = [v for v in (value or []) if v not in options]
        if missing:
            raise AssertionError(f"{missing!r} are not options of {element['action_id']}")
        entry["selected_options"] = [options[v] for v in (value or [])]
    elif kind == "users_select":
        entry["selected_user"] = value or None
    elif kind == "multi_users_select":
        entry["selected_users"] = list(value or [])
    elif kind == "conversations_select":
        entry["selected_conversation"] = value or None
    elif kind == "multi_conversations_select":
        entry["selected_conversations"] = list(value or [])
    elif kind == "channels_select":
        entry["selected_channel"] = value or None
    elif kind == "datepicker":
        entry["selected_date"] = value or None
    elif kind == "timepicker":
        entry["selected_time"] = value or None
    elif kind == "datetimepicker":
        entry["selected_date_time"] = int(value) if value not in (None, "") else None
    else:
        entry["value"] = value
    return entry


def _count_reaction(message: dict[str, Any], name: str, user: str, removed: bool) -> None:
    """Keep a message's reactions as Slack lists them: a name, who, how many."""
    reactions = message.setdefault("reactions", [])
    found = next((r for r in reactions if r["name"] == name), None)
    if found is None:
        if removed:
            return
        found = {"name": name, "users": [], "count": 0}
        reactions.append(found)
    if removed and user in found["users"]:
        found["users"].remove(user)
    elif not removed and user not in found["users"]:
        found["users"].append(user)
    found["count"] = len(found["users"])
    if not found["users"]:
        reactions.remove(found)


def find_element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any] | None:
    for block in blocks:
        candidates = list(block.get("elements", []))
        if "accessory" in block:
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("action_id") == action_id:
                return {**element, "_block_id": block.get("block_id", "")}
    return None
