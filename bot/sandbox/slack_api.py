"""The stand-in's HTTP server and its in-memory workspace."""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx

from bot.sandbox import rules
from bot.sandbox.acting import BOT_USER, TEAM, ActingAsSlack
from bot.sandbox.oidc import Refused, SignInWithSlack
from bot.sandbox.reading import message_text, readable
from bot.sandbox.rules import SCOPE_NEEDED, SlackError

TRIGGER_TTL = 3.0  # seconds, as Slack's
VIEW_STACK_MAX = 3  # modals one person may have open on top of each other

SIGN_IN_METHODS = frozenset({"openid.connect.token", "openid.connect.userInfo"})
# Methods that only read: everything else may change what a person sees.
READS = frozenset(
    {
        "auth.test",
        "conversations.info",
        "conversations.members",
        "conversations.history",
        "conversations.replies",
        "conversations.list",
        "chat.getPermalink",
        "users.info",
        "users.list",
        "users.conversations",
        "users.lookupByEmail",
        "usergroups.users.list",
        "reactions.get",
    }
)


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    creator: str = "U0SOMEONE"
    topic: str = ""
    members: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[dict[str, Any]] = field(default_factory=list)  # still on stale clients
    pins: list[str] = field(default_factory=list)
    bookmarks: list[dict[str, str]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # shared here, newest last
    # Answers only one person sees, not messages of the channel: a command's
    # acknowledgement and what the app sends to a response_url (``ephemeral_to`` set).
    replies: list[dict[str, Any]] = field(default_factory=list)
    created: float = field(default_factory=time.time)

    # What the people in the channel read (tests ask these, not the raw messages).
    def public(self) -> list[dict[str, Any]]:
        """Messages everyone in the channel sees (with text)."""
        return [m for m in self.messages if "ephemeral_to" not in m and m["text"]]

    def private_to(self, user: str) -> list[dict[str, Any]]:
        """Messages only ``user`` sees."""
        return [m for m in self.messages if m.get("ephemeral_to") == user]

    def pinned(self) -> dict[str, Any]:
        """The first pinned message: the incident's summary."""
        return next(m for m in self.messages if m["ts"] == self.pins[0])

    def summary(self) -> str:
        """The words of the pinned summary, as a person reads them."""
        return readable(self.pinned()["blocks"])

    def saying(self, words: str) -> list[dict[str, Any]]:
        """Messages whose text or blocks read ``words``."""
        return [m for m in self.messages if words in m["text"] or words in message_text(m)]


@dataclass
class Failure:
    status: int = 500
    error: str | None = None  # with status 200: {"ok": false, "error": ...}
    retry_after: int | None = None


class SlackStandIn(ActingAsSlack):
    """Run with ``with SlackStandIn() as slack:``; point the bot at ``slack.api_url``."""

    def __init__(
        self,
        *,
        token: str = "xoxb-standin-token",
        signing_secret: str = "standin-signing-secret",
        rate_limits: dict[str, int] | None = None,
        rate_window: float = 60.0,
        keep_calls: int | None = None,
    ) -> None:
        self.token = token
        self.signing_secret = signing_secret
        self.app_token = "xapp-1-A0STANDIN-standin"  # Socket Mode's app-level token
        self.socket: Any = None  # a SocketStandIn once ``socket_mode`` is called
        self.rate_limits = dict(rules.TIER_PER_MINUTE if rate_limits is None else rate_limits)
        self.rate_window = rate_window
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, set[str]] = {}  # user group ID (S…) -> its members
        self.triggers: dict[str, float] = {}
        self.trigger_users: dict[str, str] = {}  # trigger -> the person who acted
        self.modals: dict[str, list[str]] = {}  # person -> their open views, top last
        self.view_errors: dict[str, dict[str, str]] = {}  # view -> block_id -> error
        # response_url key -> (person, channel, the message acted on) for showing replies
        self.reply_to: dict[str, tuple[str | None, str | None, str | None]] = {}
        self.version = 0  # bumped on every change a person could see
        self.watchers: list[Callable[[], None]] = []  # told after each change
        self.calls: list[dict[str, Any]] = []
        # Tests read every call; a sandbox left running keeps only the newest.
        self.keep_calls = keep_calls
        self.responses: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.uploads: dict[str, dict[str, Any]] = {}  # file ID -> what was announced and sent
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self.outage: int | None = None  # every call fails with this status while set
        self.revoked: set[str] = set()  # scopes the app lost (an update that dropped them)
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        # One pooled client for everything sent to the bot: a new client per request
        # costs ~20 ms of CPU (TLS context set-up) and would be measured as bot latency.
        self._oidc: SignInWithSlack | None = None
        self._http = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=100))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            # Stopping waits out one poll: a twentieth of a second rather than half.
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self.add_user(BOT_USER, "incidentbot", is_bot=True)

    # -- lifecycle ---------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def start(self) -> SlackStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.socket is not None:
            self.socket.close()
        self._http.close()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def changed(self) -> None:
        """Something a person could see changed: tell whoever watches (the sandbox's page)."""
        with self._lock:
            self.version += 1
            watchers = list(self.watchers)
        for watch in watchers:
            watch()

    # -- the workspace, as tests set it up and read it ---------------------------
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        deleted: bool = False,
        is_bot: bool = False,
        guest: bool = False,
        email: str | None = None,
    ) -> str:
        with self._lock:
            profile = {"display_name": name, "real_name": name.title()}
            if email:
                profile["email"] = email
            self.users[user_id] = {
                "id": user_id,
                "name": name,
                "real_name": name.title(),
                "profile": profile,
                "deleted": deleted,
                "is_bot": is_bot,
                "is_restricted": guest,  # a guest account: apps may not invite it
                "team_id": TEAM,
                "tz": "UTC",
            }
        self.changed()
        return user_id

    def add_channel(self, name: str, *, members: set[str] | None = None) -> str:
        with self._lock:
            rules.check_channel_name(name)
            channel = Channel(self._new_id("C"), name, members=set(members or ()))
            self.channels[channel.id] = channel
        self.changed()
        return channel.id

    def add_usergroup(self, group_id: str, users: set[str]) -> str:
        with self._lock:
            self.usergroups[group_id] = set(users)
            return group_id

    def direct_messages(self, user: str) -> list[dict[str, Any]]:
        """What the app said to ``user`` in its direct messages."""
        with self._lock:
            dm = self.channel_named(f"dm-{user}")
            return list(dm.messages) if dm else []

    def channel_named(self, name: str) -> Channel | None:
        with self._lock:
            return next((c for c in self.channels.values() if c.name == name), None)

    def fail_next(
        self,
        method: str,
        *,
        count: int = 1,
        status: int = 500,
        error: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail this way."""
        with self._lock:
            for _ in range(count):
                self._failures[method].append(Failure(status, error, retry_after))

    def go_down(self, status: int = 503) -> None:
        """Slack answers ``status`` to every Web API call until ``come_back``."""
        with self._lock:
            self.outage = status

    def revoke_scope(self, scope: str) -> None:
        """The installed app no longer has ``scope``: the methods that need it answer
        ``missing_scope`` with ``needed`` and ``provided``, as Slack does."""
        with self._lock:
            self.revoked.add(scope)

    def come_back(self) -> None:
        with self._lock:
            self.outage = None

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self.calls if c["method"] == method]

    def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    # -- the Web API ---------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.startswith("/response/"):
                    key = self.path.rsplit("/", 1)[1]
                    standin._record_response(key, raw)
                    self._send(200, b"ok", "text/plain")
                    return
                if self.path.startswith("/upload/"):
                    status = standin._receive_upload(self.path.rsplit("/", 1)[1], raw)
                    self._send(status, b"OK - " + str(len(raw)).encode(), "text/plain")
                    return
                if self.path.startswith(("/.well-known/", "/openid/")):
                    self._sign_in(raw)
                    return
                if not self.path.startswith("/api/"):
                    self._send(404, b"not found", "text/plain")
                    return
                method = self.path[len("/api/") :].split("?")[0]
                status, body, headers = standin._api(
                    method, raw, dict(self.headers.items()), self.path
                )
                self._send(status, body, "application/json; charset=utf-8", headers)

            do_GET = do_POST

            def _sign_in(self, raw: bytes) -> None:
                path, _, query = self.path.partition("?")
                oidc = standin.oidc
                if path == "/.well-known/openid-configuration":
                    self._send(200, json.dumps(oidc.discovery()).encode(), "application/json")
                elif path == "/openid/connect/keys":
                    self._send(200, json.dumps(oidc.keys()).encode(), "application/json")
                elif path == "/openid/connect/authorize":
                    if self.command == "POST":
                        fields = dict(parse_qsl(raw.decode(errors="replace")))
                        status, page, location = oidc.allow(fields)
                    else:
                        status, page, location = oidc.authorize(dict(parse_qsl(query)))
                    if location:
                        self._send(302, b"", "text/plain", {"Location": location})
                    else:
                        self._send(status, page.encode(), "text/html; charset=utf-8")
                else:
                    self._send(404, b"not found", "text/plain")

            def _send(
                self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler

    @property
    def oidc(self) -> SignInWithSlack:
        """Sign in with Slack's endpoints (its keys are made the first time it is used)."""
        with self._lock:
            if self._oidc is None:
                self._oidc = SignInWithSlack(lambda: self.base_url, lambda: self.users)
            return self._oidc

    def _sign_in_method(
        self, method: str, args: dict[str, Any], headers: dict[str, str], token: str | None
    ) -> tuple[int, bytes, dict[str, str]]:
        """``openid.connect.token`` (the app's own credentials, no bot token) and
        ``openid.connect.userInfo`` (the signed-in person's token)."""
        try:
            if method == "openid.connect.token":
                answer = self.oidc.token(args, headers)
            else:
                answer = self.oidc.userinfo(token or "")
        except Refused as refused:
            return 200, json.dumps({"ok": False, "error": refused.error}).encode(), {}
        return 200, json.dumps({"ok": True, **answer}).encode(), {}

    def _record_response(self, key: str, raw: bytes) -> None:
        try:
            message = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            message = {"_invalid": raw.decode(errors="replace")}
        with self._lock:
            self.responses[key].append(message)
            if isinstance(message, dict) and "_invalid" not in message:
                self.show_reply(key, message)
        self.changed()

    def show_reply(self, key: str, message: dict[str, Any]) -> None:
        """Show what the app answered on a response_url (or in an acknowledgement) where
        Slack would: to the person only, unless it asks to be in the channel; replacing
        or deleting the message acted on when it says so."""
        with self._lock:
            user, channel_id, acted_on = self.reply_to.get(key, (None, None, None))
            channel = self.channels.get(channel_id or "")
            if channel is None:
                return
            if message.get("delete_original") and acted_on:
                channel.replies = [m for m in channel.replies if m["ts"] != acted_on]
                return
            original = next((m for m in channel.replies if m["ts"] == acted_on), None)
            if original is None and message.get("replace_original") and acted_on:
                original = self._find_message(channel.id, acted_on)
            if original is not None and message.get("replace_original"):
                original.update(text=message.get("text", ""), blocks=message.get("blocks"))
                return
            shown = self._message(channel, message)
            if message.get("response_type") == "in_channel":
                shown["user"] = user or BOT_USER
                channel.messages.append(shown)
            elif user is not None:
                shown["ephemeral_to"] = user
                channel.replies.append(shown)

    def _api(
        self, method: str, raw: bytes, headers: dict[str, str], path: str
    ) -> tuple[int, bytes, dict[str, str]]:
        try:
            args = _parse_args(raw, headers, path)
        except (SlackError, ValueError):
            return 200, b'{"ok":false,"error":"invalid_arguments"}', {}
        token = args.pop("token", None)
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :]
        record: dict[str, Any] = {"method": method, "args": args, "at": time.time()}
        with self._lock:
            self.calls.append(record)
            if self.keep_calls is not None and len(self.calls) > 2 * self.keep_calls:
                del self.calls[: -self.keep_calls]
            failure = self._failures[method].popleft() if self._failures[method] else None
            if failure is None and self.outage is not None:
                failure = Failure(self.outage, "service_unavailable", None)
            retry_after = self._rate_limited(method)
        if failure is not None:
            record.update(status=failure.status, error=failure.error or "injected")
            if failure.status == 200:
                return 200, json.dumps({"ok": False, "error": failure.error}).encode(), {}
            extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            raw_body = b'{"ok":false,"error":"ratelimited"}' if failure.status == 429 else b"oops"
            return failure.status, raw_body, extra
        if retry_after:
            record.update(status=429, error="ratelimited")
            headers = {"Retry-After": str(retry_after)}
            return 429, b'{"ok":false,"error":"ratelimited"}', headers
        if method in SIGN_IN_METHODS:
            return self._sign_in_method(method, args, headers, token)
        try:
            if not token:
                raise SlackError("not_authed")
            expected = self.app_token if method == "apps.connections.open" else self.token
            if token != expected:
                raise SlackError("invalid_auth")
            handler = getattr(self, "_m_" + method.replace(".", "_"), None)
            if handler is None:
                raise SlackError("unknown_method")
            needed = SCOPE_NEEDED.get(method)
            with self._lock:
                lost = needed in self.revoked
            if needed is not None and lost:
                record.update(status=200, ok=False, error="missing_scope")
                refused: dict[str, Any] = {"ok": False, "error": "missing_scope", "needed": needed}
                return 200, json.dumps(refused).encode(), {}
            with self._lock:
                result = handler(args)
            record.update(status=200, ok=True, result=result)
            if method not in READS:
                self.changed()
            return 200, json.dumps({"ok": True, **result}).encode(), {}
        except SlackError as exc:
            record.update(status=200, ok=False, error=exc.error, detail=exc.detail)
            body = {"ok": False, "error": exc.error}
            if exc.detail:
                body["response_metadata"] = {"messages": [exc.detail]}
            return 200, json.dumps(body).encode(), {}

    def _rate_limited(self, method: str) -> int:
        """0 if the call may go ahead, else the seconds until it may (Retry-After)."""
        limit = self.rate_limits.get(method)
        if not limit:
            return 0
        now = time.monotonic()
        recent = self._recent[method]
        while recent and now - recent[0] > self.rate_window:
            recent.popleft()
        if len(recent) >= limit:
            return max(1, math.ceil(self.rate_window - (now - recent[0])))
        recent.append(now)
        return 0

    # Each _m_ method runs under the lock and returns the fields of an ok answer.
    def _channel(self, ref: Any) -> Channel:
        ref = str(ref or "")
        if ref in self.users:  # a user ID: the app's direct messages with that person
            dm = next((c for c in self.channels.values() if c.name == f"dm-{ref}"), None)
            if dm is None:
                dm = Channel(
                    self._new_id("D"), f"dm-{ref}", is_private=True, members={ref, BOT_USER}
                )
                self.channels[dm.id] = dm
            return dm
        if ref.startswith("#"):
            found = self.channel_named(ref[1:])
            if found:
                return found
        elif ref in self.channels:
            return self.channels[ref]
        raise SlackError("channel_not_found")

    def _message(self, channel: Channel, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        return {
            "type": "message",
            "user": BOT_USER,
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": args.get("blocks"),
            "thread_ts": args.get("thread_ts"),
            "metadata": _metadata(args.get("metadata")),
        }

    def _find_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        channel = self.channels.get(channel_id)
        if channel is None:
            return None
        return next((m for m in channel.messages if m["ts"] == ts), None)

    def delete_message(self, channel_id: str, ts: str) -> None:
        """A person deletes a message; clients that still show it can click on it."""
        with self._lock:
            channel = self.channels[channel_id]
            message = self._find_message(channel_id, ts)
            if message is None:
                raise AssertionError(f"no message {ts}")
            channel.messages.remove(message)
            channel.deleted.append(message)
            if ts in channel.pins:
                channel.pins.remove(ts)
        self.changed()

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://standin.slack.invalid/",
            "team": "Stand-in",
            "user": "incidentbot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "B0STANDIN",
            "is_enterprise_install": False,
        }

    def _m_conversations_create(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(args.get("name", ""))
        rules.check_channel_name(name)
        if self.channel_named(name):
            raise SlackError("name_taken")
        is_private = str(args.get("is_private", "false")).lower() in {"true", "1"}
        channel = Channel(
            self._new_id("G" if is_private else "C"),
            name,
            is_private,
            creator=BOT_USER,
            members={BOT_USER},
        )
        self.channels[channel.id] = channel
        return {"channel": _channel_json(channel)}

    def _visible(self, ref: Any) -> Channel:
        """A channel the bot may look into: a private one only if it is a member (Slack
        answers as though others did not exist)."""
        channel = self._channel(ref)
        if channel.is_private and BOT_USER not in channel.members:
            raise SlackError("channel_not_found")
        return channel

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": _channel_json(self._visible(args.get("channel")))}

    def _m_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible(args.get("channel"))
        everyone = sorted(channel.members)
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        more = start + limit < len(everyone)
        return {
            "members": everyone[start : start + limit],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_conversations_archive(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible(args.get("channel"))
        if BOT_USER not in channel.members:
            raise SlackError("not_in_channel")
        if channel.is_archived:
            raise SlackError("already_archived")
        channel.is_archived = True
        return {}

    def _m_conversations_rename(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible(args.get("channel"))
        if BOT_USER not in channel.members:
            raise SlackError("not_in_channel")
        if channel.is_archived:
            raise SlackError("is_archived")
        name = str(args.get("name", ""))
        rules.check_channel_name(name)
        if (other := self.channel_named(name)) is not None and other is not channel:
            raise SlackError("name_taken")
        channel.name = name
        return {"channel": _channel_json(channel)}

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": sorted(self.usergroups[group])}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if len(users) != 1:  # the bot opens direct messages with one person at a time
            raise SlackError("invalid_arguments", "users must name one person")
        if users[0] not in self.users:
            raise SlackError("user_not_found")
        return {"channel": {"id": self._channel(users[0]).id}}

    def _m_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel.is_private:  # only an invitation lets anyone into a private channel
            raise SlackError("method_not_supported_for_channel_type")
        channel.members.add(BOT_USER)
        return {"channel": _channel_json(channel)}

    def _m_conversations_invite(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible(args.get("channel"))
        if BOT_USER not in channel.members:
            raise SlackError("not_in_channel")
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("no_user")
        for user in users:
            if user == BOT_USER:
                raise SlackError("cant_invite_self")
            if user not in self.users or self.users[user]["deleted"]:
                raise SlackError("user_not_found")
            if self.users[user].get("is_restricted"):
                raise SlackError("user_is_restricted")
        if all(u in channel.members for u in users):
            raise SlackError("already_in_channel")
        channel.members.update(users)
        return {"channel": _channel_json(channel)}

    def _m_conversations_setTopic(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if BOT_USER not in channel.members:
            raise SlackError("not_in_channel")
        topic = str(args.get("topic", ""))
        if len(topic) > rules.TOPIC_MAX:
            raise SlackError("too_long")
        channel.topic = topic
        return {"channel": _channel_json(channel)}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel.is_archived:
            raise SlackError("is_archived")
        rules.check_message(args)
        if channel.is_private and BOT_USER not in channel.members:
            raise SlackError("channel_not_found")
        message = self._message(channel, args)
        channel.messages.append(message)
        return {"channel": channel.id, "ts": message["ts"], "message": message}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if str(args.get("channel", "")).startswith("#"):
            raise SlackError("channel_not_found")  # chat.update takes channel IDs only
        channel = self._channel(args.get("channel"))
        message = self._find_message(channel.id, str(args.get("ts")))
        if message is None:
            raise SlackError("message_not_found")
        rules.check_message(args)
        message.update(text=args.get("text", ""), blocks=args.get("blocks"), edited=True)
        return {"channel": channel.id, "ts": message["ts"], "text": message["text"]}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        rules.check_message(args)
        user = str(args.get("user", ""))
        if user not in self.users:
            raise SlackError("user_not_found")
        if user not in channel.members:
            raise SlackError("user_not_in_channel")
        message = self._message(channel, args)
        message["ephemeral_to"] = user
        channel.messages.append(message)
        return {"message_ts": message["ts"]}

    def _m_pins_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible(args.get("channel"))
        ts = str(args.get("timestamp", ""))
        if self._find_message(channel.id, ts) is None:
            raise SlackError("message_not_found")
        if ts in channel.pins:
            raise SlackError("already_pinned")
        channel.pins.append(ts)
        return {}

    def _m_bookmarks_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel_id"))
        if BOT_USER not in channel.members:
            raise SlackError("not_in_channel")
        title, kind, link = (str(args.get(k) or "") for k in ("title", "type", "link"))
        if not title:
            raise SlackError("invalid_title")
        if kind != "link":
            raise SlackError("invalid_type")
        if not rules.is_web_link(link):
            raise SlackError("invalid_link")
        if len(channel.bookmarks) >= rules.BOOKMARKS_MAX:
            raise SlackError("too_many_bookmarks")
        bookmark = {"id": self._new_id("Bk"), "title": title, "link": link, "type": kind}
        channel.bookmarks.append(bookmark)
        return {"bookmark": bookmark}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible(args.get("channel"))
        latest = args.get("latest")
        inclusive = str(args.get("inclusive", "false")).lower() in {"true", "1"}
        limit = int(args.get("limit") or 100)
        found = [
            m
            for m in reversed(channel.messages)  # newest first, as Slack answers
            if "ephemeral_to" not in m and m.get("thread_ts") in (None, m["ts"])
        ]
        if latest is not None:
            found = [
                m
                for m in found
                if float(m["ts"]) < float(latest) or (inclusive and m["ts"] == str(latest))
            ]
        if str(args.get("include_all_metadata", "false")).lower() not in {"true", "1"}:
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        return {"messages": found[:limit], "has_more": len(found) > limit}

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible(args.get("channel"))
        ts = str(args.get("ts", ""))
        message = self._find_message(channel.id, ts)
        if message is None:
            raise SlackError("thread_not_found")
        parent = message.get("thread_ts") or ts
        thread = [m for m in channel.messages if m["ts"] == parent or m.get("thread_ts") == parent]
        return {"messages": thread[: int(args.get("limit") or 1000)], "has_more": False}

    def _m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        ts = str(args.get("message_ts", ""))
        if self._find_message(channel.id, ts) is None:
            raise SlackError("message_not_found")
        return {
            "channel": channel.id,
            "permalink": f"https://standin.slack.invalid/archives/{channel.id}/p"
            + ts.replace(".", ""),
        }

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        try:
            length = int(args.get("length") or 0)
        except ValueError:
            raise SlackError("invalid_arguments") from None
        if not filename:
            raise SlackError("invalid_arguments", "filename is required")
        if length <= 0:
            raise SlackError("invalid_arguments", "length must be the file's size in bytes")
        file_id = self._new_id("F")
        self.uploads[file_id] = {"filename": filename, "length": length, "data": None}
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _receive_upload(self, file_id: str, data: bytes) -> int:
        with self._lock:
            upload = self.uploads.get(file_id)
            if upload is None:
                return 404
            if len(data) != upload["length"]:
                return 400  # Slack refuses a body that is not the announced length
            upload["data"] = data
            return 200

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments", "files must list the uploaded file IDs")
        channel = self._channel(args["channel_id"]) if args.get("channel_id") else None
        if channel is not None and BOT_USER not in channel.members:
            raise SlackError("not_in_channel")
        shared = []
        for entry in files:
            upload = self.uploads.get(str(entry.get("id")))
            if upload is None or upload["data"] is None:
                raise SlackError("file_not_found", f"{entry.get('id')} was not uploaded")
            name = upload["filename"]
            shared.append(
                {
                    "id": entry["id"],
                    "name": name,
                    "title": entry.get("title") or name,
                    "size": upload["length"],
                    "mimetype": "image/png" if name.endswith(".png") else "text/plain",
                    "permalink": f"https://standin.slack.invalid/files/{BOT_USER}/{entry['id']}/"
                    + name,
                    "content": upload["data"],
                }
            )
        if channel is not None:
            message = self._message(channel, {"text": args.get("initial_comment") or ""})
            message["files"] = [{k: v for k, v in f.items() if k != "content"} for f in shared]
            channel.messages.append(message)
            channel.files.extend(shared)
        return {"files": [{k: v for k, v in f.items() if k != "content"} for f in shared]}

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.socket is None:
            raise SlackError("not_allowed_token_type")  # Socket Mode is off for the app
        return {"url": self.socket.url}

    def socket_mode(self) -> Any:
        """Switch the app to Socket Mode: deliveries to ``SOCKET`` go over a WebSocket."""
        from bot.sandbox.socket_mode import SocketStandIn

        self.socket = SocketStandIn()
        return self.socket

    def _m_conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """Channels the bot can see: every public one, private ones it is in; paginated."""
        return self._channels_seen(args, min(int(args.get("limit") or 100), 1000), None)

    def _m_users_conversations(self, args: dict[str, Any]) -> dict[str, Any]:
        """The channels ``user`` is in, of those the bot can see (a private one only when
        the bot is in it too, as Slack answers a bot token); paginated."""
        user = str(args.get("user") or BOT_USER)
        if user not in self.users:
            raise SlackError("user_not_found")
        limit = int(args.get("limit") or 100)
        if not 1 <= limit <= 999:
            raise SlackError("invalid_limit")
        return self._channels_seen(args, limit, user)

    def _channels_seen(
        self, args: dict[str, Any], limit: int, member: str | None
    ) -> dict[str, Any]:
        """One page of the channels the bot can see (every public one, private ones it is
        in) of the kinds asked for, only those ``member`` is in when given."""
        start = int(args.get("cursor") or 0)
        kinds = set(str(args.get("types") or "public_channel").split(","))
        seen = [
            c
            for c in sorted(self.channels.values(), key=lambda c: c.id)
            if not c.name.startswith("dm-")
            and ("private_channel" if c.is_private else "public_channel") in kinds
            and (member is None or member in c.members)
            and (not c.is_private or BOT_USER in c.members)
            and not (c.is_archived and str(args.get("exclude_archived")).lower() == "true")
        ]
        page = seen[start : start + limit]
        more = start + limit < len(seen)
        return {
            "channels": [_channel_json(c) for c in page],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        everyone = sorted(self.users.values(), key=lambda u: u["id"])
        page = everyone[start : start + limit]
        more = start + limit < len(everyone)
        return {
            "members": page,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        ts = str(args.get("ts", ""))
        if self._find_message(channel.id, ts) is None:
            raise SlackError("message_not_found")
        channel.messages = [m for m in channel.messages if m["ts"] != ts]
        return {"channel": channel.id, "ts": ts}

    def _m_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        # Needs users:read.email; Slack matches the address case-insensitively.
        wanted = str(args.get("email", "")).strip().lower()
        if not wanted:
            raise SlackError("invalid_arguments", "email is required")
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == wanted:
                return {"user": user}
        raise SlackError("users_not_found")

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _take_trigger(self, args: dict[str, Any]) -> str | None:
        """Use up the request's trigger (once, within 3 s); the person it was given to."""
        trigger = str(args.get("trigger_id", ""))
        issued = self.triggers.pop(trigger, None)
        if issued is None:
            raise SlackError("invalid_trigger_id")
        if time.monotonic() - issued > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        return self.trigger_users.pop(trigger, None)

    def _new_view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _view_arg(args)
        rules.check_view(view)
        view_id = self._new_id("V")
        stored = {**view, "id": view_id, "team_id": TEAM, "hash": uuid.uuid4().hex}
        self.views[view_id] = stored
        return stored

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._take_trigger(args)
        stored = self._new_view(args)
        if user is not None:
            self.modals[user] = [stored["id"]]
        return {"view": stored}

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._take_trigger(args)
        stack = self.modals.get(user or "", [])
        if not stack:
            raise SlackError("not_found")  # only a modal that is open can have one pushed on it
        if len(stack) >= VIEW_STACK_MAX:
            raise SlackError("push_limit_reached")
        stored = self._new_view(args)
        stack.append(stored["id"])
        return {"view": stored}

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id", ""))
        if view_id not in self.views:
            raise SlackError("not_found")
        view = _view_arg(args)
        rules.check_view(view)
        given = args.get("hash")
        if given and given != self.views[view_id].get("hash"):
            raise SlackError("hash_conflict")  # the view changed since that copy was read
        self.views[view_id] = {**view, "id": view_id, "team_id": TEAM, "hash": uuid.uuid4().hex}
        self.view_errors.pop(view_id, None)
        return {"view": self.views[view_id]}


def _view_arg(args: dict[str, Any]) -> dict[str, Any]:
    view = args.get("view")
    if isinstance(view, str):
        view = json.loads(view)
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", "view must be a JSON object")
    return view


def _metadata(value: Any) -> dict[str, Any] | None:
    """Message metadata as Slack keeps it: an event type and a JSON payload, or nothing."""
    if value in (None, ""):
        return None
    data = json.loads(value) if isinstance(value, str) else value
    if not isinstance(data, dict) or not isinstance(data.get("event_type"), str):
        raise SlackError("invalid_metadata_format")
    if not isinstance(data.get("event_payload", {}), dict):
        raise SlackError("invalid_metadata_format")
    return data


def _channel_json(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "name": channel.name,
        "is_channel": not channel.is_private,
        "is_private": channel.is_private,
        "created": int(channel.created),
        "creator": channel.creator,
        "is_archived": channel.is_archived,
        "topic": {"value": channel.topic},
        "num_members": len(channel.members),
        "is_member": BOT_USER in channel.members,
    }


def _parse_args(raw: bytes, headers: dict[str, str], path: str) -> dict[str, Any]:
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    args: dict[str, Any] = {}
    if "?" in path:
        args.update(parse_qsl(path.split("?", 1)[1]))
    if "application/json" in ctype:
        args.update(json.loads(raw or b"{}"))
    else:
        args.update(parse_qsl(raw.decode()))
    for key in ("blocks", "attachments", "view"):
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except json.JSONDecodeError:
                raise SlackError("invalid_blocks_format") from None
    return args
