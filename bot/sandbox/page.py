"""The sandbox's page: the local workspace in a browser, behaving like Slack for what the
bot uses.

Everything a person does here becomes what Slack would send the bot: a slash command,
a click, a form's submission, a reaction, each signed and posted over HTTP to the bot's
``/slack/events`` (``acting.py``), with the ``response_url`` and ``trigger_id`` Slack
gives. The page draws what the workspace holds and is told of every change
(``SlackStandIn.watchers``), which it passes on to the browser by long polling.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.net import bounded_body, bounded_json
from bot.sandbox import samples
from bot.sandbox.acting import BOT_USER, find_element, input_state
from bot.sandbox.mrkdwn import Names, to_html
from bot.sandbox.people import DEMO_PEOPLE
from bot.sandbox.slack_api import Channel, SlackStandIn
from bot.text.rendering import count
from bot.web.sites import Site

HERE = Path(__file__).parent
SHOWN_MESSAGES = 200  # the newest of a channel; Slack loads older ones on scroll
MAX_ACT_BODY = 256 * 1024
LONG_POLL_SECONDS = 20.0
NOT_A_COMMAND = (
    '{command} is not a valid command. In Slack, all messages that start with the "/" '
    "character are interpreted as commands."
)
TIMELINE_SHORTCUT = "add_to_timeline"


PERSON_COOKIE = "sandbox_person"  # who the page shows; the console reads it as its viewer


def _remember(response: Response, person: str) -> None:
    response.set_cookie(PERSON_COOKIE, person, httponly=True, samesite="lax")


class Refused(Exception):
    """What the person tried cannot be done here; the sentence says why."""


@dataclass
class Hooks:
    """What the page may ask of the bot's process beyond Slack's requests."""

    # Send the reminders and drill injects due that much later: how many of each it sent.
    later: Callable[[timedelta], tuple[int, int]] | None = None


class Changes:
    """Wakes the browsers waiting for news when the workspace changes (any thread)."""

    def __init__(self, slack: SlackStandIn) -> None:
        self._slack = slack
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: set[asyncio.Future[None]] = set()
        self.closed = False
        slack.watchers.append(self._changed)

    def _changed(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake)

    def close(self) -> None:
        """The process is stopping: answer every waiting browser now, so shutting down
        does not wait out their long polls."""
        self.closed = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(None)
        self._waiting.clear()

    async def after(self, since: int, timeout: float) -> int:
        """The workspace's version once it is past ``since``, or after ``timeout``."""
        self._loop = asyncio.get_running_loop()
        if self.closed or self._slack.version > since:
            return self._slack.version
        waiter = self._loop.create_future()
        self._waiting.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            self._waiting.discard(waiter)
        return self._slack.version


class SandboxPage:
    def __init__(
        self,
        slack: SlackStandIn,
        bot_url: str,
        *,
        alert_token: str | None,
        hooks: Hooks | None = None,
    ) -> None:
        self.slack = slack
        self.bot_url = bot_url.rstrip("/")
        self.alert_token = alert_token
        self.hooks = hooks or Hooks()
        self.site = Site([HERE / "templates"], [HERE / "static"])
        self.site.env.filters["mrkdwn"] = _mrkdwn
        self.site.env.filters["name_of"] = _name_of
        self.site.env.filters["utc_local"] = _utc_local
        self.site.env.filters["rows_for"] = _rows_for
        self.site.env.globals["selected_values"] = _selected_values
        self.changes = Changes(slack)
        self.seen: dict[tuple[str, str], float] = {}  # (person, channel) -> newest ts read

    # -- routes ---------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/sandbox/view", self.view, methods=["GET"]),
            Route("/sandbox/wait", self.wait, methods=["GET"]),
            Route("/sandbox/act", self.act, methods=["POST"]),
            Route("/sandbox/files/{file_id}", self.file, methods=["GET"]),
            Route("/sandbox/sample-alert.json", self.sample_alert, methods=["GET"]),
            *self.site.static_routes(),
        ]

    def _where(self, request: Request) -> tuple[str, str, str | None]:
        # Without ?person= (the console's "Open … in Slack" links), the person picked last.
        person = request.query_params.get("person") or self._picked(request)
        if person not in self.slack.users or self.slack.users[person]["is_bot"]:
            raise Refused(f"There is nobody called {person!r} in this workspace.")
        channel = request.query_params.get("channel") or self._default_channel(person)
        with self.slack._lock:
            found = self.slack.channels.get(channel)
            switching = request.query_params.get("switch")
            if found is not None and switching and not self._may_see(person, found):
                # Another person picked: where they cannot follow, they start in #general.
                found = self.slack.channels.get(self._default_channel(person))
                channel = found.id if found else channel
            if found is None or not self._may_see(person, found):
                raise Refused("That channel does not exist, or you are not a member of it.")
        return person, channel, request.query_params.get("thread") or None

    def _picked(self, request: Request) -> str:
        kept = request.cookies.get(PERSON_COOKIE, "")
        user = self.slack.users.get(kept)
        return kept if user and not user["is_bot"] else DEMO_PEOPLE[0].user_id

    async def index(self, request: Request) -> Response:
        try:
            person, channel, thread = self._where(request)
        except Refused as refused:
            return self.site.error(404, "Not here", str(refused))
        parts = self._parts(person, channel, thread)
        page = self.site.page(
            "workspace.html",
            **parts,
            people=self._people(),
            person=person,
            channel_id=channel,
            curl=self._curl(),
            can_skip=self.hooks.later is not None,
        )
        _remember(page, person)
        return page

    async def view(self, request: Request) -> Response:
        try:
            person, channel, thread = self._where(request)
        except Refused as refused:
            return JSONResponse({"error": str(refused)}, status_code=404)
        parts = self._parts(person, channel, thread)
        html = {
            key: self.site.render(f"_{key}.html", **parts, person=person, channel_id=channel)
            for key in ("sidebar", "channel", "thread", "modal")
        }
        answer = JSONResponse(
            {"version": parts["version"], "modal_key": parts["modal_key"], **html}
        )
        _remember(answer, person)
        return answer

    async def wait(self, request: Request) -> Response:
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return JSONResponse({"error": "since must be a whole number"}, status_code=400)
        version = await self.changes.after(since, LONG_POLL_SECONDS)
        if self.changes.closed:
            # Closing the connection lets the server stop now, not when the browser's
            # keep-alive connection goes idle.
            return JSONResponse(
                {"error": "the sandbox is stopping"},
                status_code=503,
                headers={"Connection": "close"},
            )
        return JSONResponse({"version": version})

    async def sample_alert(self, _: Request) -> Response:
        return JSONResponse(samples.alertmanager_payload(datetime.now(UTC)))

    async def file(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        person = request.query_params.get("person", "")
        with self.slack._lock:
            upload = self.slack.uploads.get(file_id)
            # As in Slack: a file is for the people who can see a channel it was shared in.
            shared_where = [
                c
                for c in self.slack.channels.values()
                if any(f["id"] == file_id for f in c.files) and self._may_see(person, c)
            ]
        if upload is None or upload["data"] is None or not shared_where:
            return self.site.error(
                404, "No such file", f"There is no file {file_id} here that you can see."
            )
        name = re.sub(r"[^A-Za-z0-9._-]", "_", upload["filename"]) or "file"
        kind = "image/png" if name.endswith(".png") else "application/octet-stream"
        if name.endswith((".md", ".txt", ".csv")):
            kind = "text/plain; charset=utf-8"
        return Response(
            upload["data"],
            media_type=kind,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def act(self, request: Request) -> Response:
        refusal = self._unsafe(request)
        if refusal:
            return JSONResponse({"error": refusal}, status_code=403)
        try:  # from the page itself (checked above): its sender is known
            raw = await bounded_body.read_body(request, MAX_ACT_BODY, verified=True)
        except bounded_body.BodyRefused as refused:
            return bounded_body.answer(refused)
        try:
            doing = bounded_json.loads(raw)
            if not isinstance(doing, dict):
                raise ValueError
        except ValueError:
            return JSONResponse({"error": "send a JSON object"}, status_code=400)
        try:
            said = await run_in_threadpool(self._do, doing)
        except (Refused, AssertionError) as refused:
            # AssertionError: the workspace's word for "Slack would never send this"
            # (a choice that is not among a menu's options, a channel one is not in).
            return JSONResponse({"error": str(refused)}, status_code=400)
        return JSONResponse({"ok": True, **(said or {})})

    def _unsafe(self, request: Request) -> str | None:
        """Only this page may act: a JSON body (another site cannot send one without a
        preflight we never grant), from our own origin. (Every request to the sandbox is
        addressed to a loopback name, or refused before it gets here: a rebound DNS name
        never reaches the page; ``bot.web.hosts``.)"""
        if not request.headers.get("content-type", "").startswith("application/json"):
            return "send application/json"
        host = request.headers.get("host", "")
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != host:
            return "requests from other sites are refused"
        return None

    # -- doing what the person did --------------------------------------------------
    def _do(self, doing: dict[str, Any]) -> dict[str, Any] | None:
        kind = str(doing.get("kind", ""))
        if kind == "alert":
            return self._send_alert()
        if kind == "later":
            return self._later(doing)
        person = str(doing.get("person", ""))
        if person not in self.slack.users or self.slack.users[person]["is_bot"]:
            raise Refused("Pick a person first.")
        if kind == "submit":
            return self._submit(person, doing)
        if kind == "close":
            self.slack.close_view(person, str(doing.get("view_id", "")))
            return None
        if kind == "view_action":
            return self._view_action(person, doing)
        channel = str(doing.get("channel", ""))
        with self.slack._lock:
            found = self.slack.channels.get(channel)
            if found is None or not self._may_see(person, found):
                raise Refused("That channel does not exist, or you are not a member of it.")
            member = person in found.members
        if kind == "join":
            self.slack.join(person, channel)
            return None
        if not member:
            raise Refused("Join the channel first.")
        ts = str(doing.get("ts", ""))
        if kind == "message":
            return self._message(person, channel, str(doing.get("text", "")), doing.get("thread"))
        if kind == "block":
            return self._block(person, channel, ts, doing)
        if kind == "react":
            self.slack.react(self.bot_url, user=person, channel=channel, ts=ts, name="pushpin")
            return None
        if kind == "shortcut":
            answer, _ = self.slack.message_shortcut(
                self.bot_url, user=person, channel=channel, ts=ts, callback_id=TIMELINE_SHORTCUT
            )
            return _answered(answer)
        if kind == "dismiss":
            with self.slack._lock:
                found.replies = [m for m in found.replies if m["ts"] != ts]
            self.slack.changed()
            return None
        raise Refused(f"Nothing here does {kind!r}.")

    def _message(self, person: str, channel: str, text: str, thread: Any) -> dict[str, Any] | None:
        text = text.strip()
        if not text:
            raise Refused("Type something first.")
        if len(text) > 40_000:
            raise Refused("That message is too long for Slack (40,000 characters at most).")
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            if command != "/incident":
                key, _ = self.slack.new_response_url(person, channel)
                self.slack.show_reply(key, {"text": NOT_A_COMMAND.format(command=command)})
                self.slack.changed()
                return None
            result = self.slack.command(
                self.bot_url, self.slack.typed(rest.strip()), user=person, channel=channel
            )
            return _answered(result.http)
        self.slack.say(person, channel, self.slack.typed(text), thread_ts=thread or None)
        return None

    def _block(
        self, person: str, channel: str, ts: str, doing: dict[str, Any]
    ) -> dict[str, Any] | None:
        action_id = str(doing.get("action_id", ""))
        with self.slack._lock:
            found = self.slack.channels[channel]
            reply = next(
                (m for m in found.replies if m["ts"] == ts and m["ephemeral_to"] == person), None
            )
            message = reply or self.slack._find_message(channel, ts)
            if message is None:
                raise Refused("That message is gone.")
            element = find_element(message.get("blocks") or [], action_id)
            if element is None:
                raise Refused("That message has no such control.")
            message = copy.deepcopy(message)
        action = _action(element, doing.get("value"), self.slack)
        answer, _ = self.slack.block_action(
            self.bot_url,
            user=person,
            channel=channel,
            message_ts=ts,
            action=action,
            message=message if reply is not None else None,
        )
        return _answered(answer)

    def _view_of(self, person: str, view_id: str) -> dict[str, Any]:
        views = self.slack.open_views(person)
        view = next((v for v in views if v["id"] == view_id), None)
        if view is None:
            raise Refused("That form is no longer open.")
        return copy.deepcopy(view)

    def _view_action(self, person: str, doing: dict[str, Any]) -> dict[str, Any] | None:
        view = self._view_of(person, str(doing.get("view_id", "")))
        block_id = str(doing.get("block_id", ""))
        block = next((b for b in view.get("blocks", []) if b.get("block_id") == block_id), None)
        if block is None or not block.get("dispatch_action"):
            return None  # Slack sends nothing for an input that does not dispatch
        state = input_state(block["element"], doing.get("value"))
        answer = self.slack.view_action(
            self.bot_url,
            user=person,
            view_id=view["id"],
            block_id=block_id,
            action={k: v for k, v in state.items() if k != "type"},
        )
        return _answered(answer)

    def _submit(self, person: str, doing: dict[str, Any]) -> dict[str, Any] | None:
        view = self._view_of(person, str(doing.get("view_id", "")))
        values = doing.get("values") or {}
        if not isinstance(values, dict):
            raise Refused("The form's values did not arrive.")
        # What Slack's own client checks before anything is sent.
        errors: dict[str, str] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            value = values.get(block["block_id"])
            element = block["element"]
            if value in (None, "", []) and not block.get("optional"):
                errors[block["block_id"]] = "Please complete this required field."
            elif isinstance(value, str) and element.get("type") == "plain_text_input":
                low, high = element.get("min_length"), element.get("max_length")
                if low and len(value) < low:
                    errors[block["block_id"]] = f"Must have at least {low} characters"
                elif high and len(value) > high:
                    errors[block["block_id"]] = f"Must have {high} characters or fewer"
        if errors:
            with self.slack._lock:
                self.slack.view_errors[view["id"]] = errors
            self.slack.changed()
            return None
        try:
            answer = self.slack.submit_view(
                self.bot_url, user=person, view_id=view["id"], values=values
            )
        except AssertionError as wrong:  # a value that is not one of the input's options
            raise Refused(str(wrong)) from None
        return _answered(answer)

    def _send_alert(self) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if self.alert_token:
            headers["Authorization"] = f"Bearer {self.alert_token}"
        body = samples.alertmanager_payload(datetime.now(UTC))
        answer = httpx.post(
            self.bot_url + "/alerts/alertmanager", json=body, headers=headers, timeout=10
        )
        if answer.status_code >= 300:
            raise Refused(f"The bot refused the alert ({answer.status_code}): {answer.text}")
        return {"said": "Alert sent: watch #incidents."}

    def _later(self, doing: dict[str, Any]) -> dict[str, Any]:
        if self.hooks.later is None:
            raise Refused("Skipping ahead is not available here.")
        try:
            minutes = int(doing.get("minutes", 15))
        except (TypeError, ValueError):
            raise Refused("minutes must be a whole number") from None
        if not 1 <= minutes <= 24 * 60:
            raise Refused("Skip between 1 minute and 24 hours.")
        reminders, injects = self.hooks.later(timedelta(minutes=minutes))
        ahead = (
            f"{minutes // 60} hours"
            if minutes % 60 == 0 and minutes > 60
            else {60: "hour", 1: "minute"}.get(minutes, f"{minutes} minutes")
        )
        if not reminders and not injects:
            return {"said": f"Nothing was due in the next {ahead}."}
        sent = [count(reminders, "reminder")] if reminders else []
        sent += [count(injects, "drill inject")] if injects else []
        return {"said": f"Sent {' and '.join(sent)} due in the next {ahead}."}

    # -- what a person sees ---------------------------------------------------------
    def _may_see(self, person: str, channel: Channel) -> bool:
        """Members see a channel; anyone else sees a public one, except a guest, who
        sees only the channels they were let into (as in Slack)."""
        if person in channel.members:
            return True
        guest = bool(self.slack.users.get(person, {}).get("is_restricted"))
        return not (channel.is_private or channel.name.startswith("dm-") or guest)

    def _default_channel(self, person: str) -> str:
        with self.slack._lock:
            named = self.slack.channel_named("general")
            if named is not None:
                return named.id
            return next(c.id for c in self.slack.channels.values() if self._may_see(person, c))

    def _people(self) -> list[dict[str, Any]]:
        with self.slack._lock:
            return [
                {"id": u["id"], "name": u["real_name"], "guest": u.get("is_restricted", False)}
                for u in self.slack.users.values()
                if not u["is_bot"] and not u["deleted"]
            ]

    def _curl(self) -> str:
        auth = f" -H 'Authorization: Bearer {self.alert_token}'" if self.alert_token else ""
        return (
            f"curl -s {self.bot_url}/sandbox/sample-alert.json | curl -X POST "
            f"{self.bot_url}/alerts/alertmanager -H 'Content-Type: application/json'{auth} -d @-"
        )

    def _parts(self, person: str, channel_id: str, thread: str | None) -> dict[str, Any]:
        """Everything the page draws, copied out of the workspace under its lock."""
        with self.slack._lock:
            version = self.slack.version
            channels = sorted(self.slack.channels.values(), key=lambda c: c.name)
            people = {
                uid: u["profile"].get("display_name") or u["name"]
                for uid, u in self.slack.users.items()
            }
            names = {c.id: c.name for c in channels}
            current = self.slack.channels[channel_id]
            visible = [
                m
                for m in [*current.messages, *current.replies]
                if m.get("ephemeral_to") in (None, person)
            ]
            visible.sort(key=lambda m: float(m["ts"]))
            top = [m for m in visible if m.get("thread_ts") in (None, m["ts"])]
            counts: dict[str, int] = {}
            for m in visible:
                if m.get("thread_ts") and m["thread_ts"] != m["ts"]:
                    counts[m["thread_ts"]] = counts.get(m["thread_ts"], 0) + 1
            messages = copy.deepcopy(top[-SHOWN_MESSAGES:])
            threaded = copy.deepcopy(
                [m for m in visible if thread and thread in (m["ts"], m.get("thread_ts"))]
            )
            sidebar: list[dict[str, Any]] = []
            dms: list[dict[str, Any]] = []
            for c in channels:
                if not self._may_see(person, c):
                    continue
                newest = max(
                    (float(m["ts"]) for m in c.messages if m.get("ephemeral_to") in (None, person)),
                    default=0.0,
                )
                unread = c.id != channel_id and newest > self.seen.get((person, c.id), 0.0)
                entry = {
                    "id": c.id,
                    "name": c.name,
                    "private": c.is_private,
                    "member": person in c.members,
                    "unread": unread and person in c.members,
                    "archived": c.is_archived,
                }
                (dms if c.name.startswith("dm-") else sidebar).append(entry)
            if visible:
                self.seen[(person, channel_id)] = float(visible[-1]["ts"])
            modals = self.slack.open_views(person)
            modal = copy.deepcopy(modals[-1]) if modals else None
            errors = dict(self.slack.view_errors.get(modal["id"], {})) if modal else {}
            header = {
                "id": current.id,
                "name": current.name,
                "dm": current.name.startswith("dm-"),
                "private": current.is_private,
                "topic": current.topic,
                "members": len(current.members),
                "member": person in current.members,
                "archived": current.is_archived,
                "pins": list(current.pins),
            }
            selectable = [
                {"id": c.id, "name": c.name, "private": c.is_private}
                for c in channels
                if not c.name.startswith("dm-") and self._may_see(person, c)
            ]
        shown_names = Names(
            people,
            names,
            lambda cid: self._link(person, cid),
            lambda fid: f"/sandbox/files/{fid}?" + urlencode({"person": person}),
        )
        for m in [*messages, *threaded]:
            m["author"] = people.get(m.get("user", ""), m.get("user", ""))
            m["is_bot"] = m.get("user") == BOT_USER
            m["time"] = datetime.fromtimestamp(float(m["ts"]), UTC).strftime("%H:%M")
            m["replies"] = counts.get(m["ts"], 0)
        return {
            "names": shown_names,
            "version": version,
            "sidebar_channels": sidebar,
            "dms": dms,
            "people_names": people,
            "header": header,
            "messages": messages,
            "thread_messages": threaded,
            "thread": thread,
            "modal": modal,
            "modal_errors": errors,
            "modal_key": f"{modal['id']}:{modal['hash']}:{sorted(errors.items())}" if modal else "",
            "select_people": [
                {"id": uid, "name": name}
                for uid, name in people.items()
                if uid != BOT_USER and not self.slack.users[uid]["deleted"]
            ],
            "select_channels": selectable,
            "link": lambda **q: self._link(person, q.get("channel", channel_id), q.get("thread")),
        }

    def _link(self, person: str, channel: str, thread: str | None = None) -> str:
        query = {"person": person, "channel": channel}
        if thread:
            query["thread"] = thread
        return "/?" + urlencode(query)


FEWEST_ROWS, MOST_ROWS = 4, 16  # a multi-line input's height, in lines
CHARACTERS_A_ROW = 62  # about what a row of the modal's text box holds


def _rows_for(text: Any) -> int:
    """The lines a multi-line input needs to show ``text`` whole (long lines wrap), one
    more to type in, between FEWEST_ROWS and MOST_ROWS."""
    lines = str(text or "").split("\n")
    needed = sum(max(1, -(-len(line) // CHARACTERS_A_ROW)) for line in lines) + 1
    return max(FEWEST_ROWS, min(MOST_ROWS, needed))


@pass_context
def _mrkdwn(context: Context, text: Any, plain: bool = False) -> Markup:
    return to_html(str(text or ""), context.get("names"), plain=plain)


@pass_context
def _name_of(context: Context, user_id: str) -> str:
    names = context.get("names")
    return names.person(user_id, None) if names else user_id


def _utc_local(epoch: Any) -> str:
    """An epoch as the value of a ``datetime-local`` input, in UTC."""
    if epoch in (None, ""):
        return ""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M")


def _selected_values(element: dict[str, Any]) -> list[str]:
    """The values an element starts with chosen (``initial_option(s)``)."""
    found = [o.get("value") for o in element.get("initial_options") or []]
    if element.get("initial_option"):
        found.append(element["initial_option"].get("value"))
    return [str(v) for v in found if v is not None]


def _answered(answer: httpx.Response) -> dict[str, Any] | None:
    """Slack tells the person when the app fails to answer; so does the page."""
    if answer.status_code >= 400:
        return {"said": f"The app did not answer as Slack expects ({answer.status_code})."}
    return None


def _action(element: dict[str, Any], value: Any, slack: SlackStandIn) -> dict[str, Any]:
    """The ``actions`` entry Slack sends for a person's use of ``element``."""
    kind = element["type"]
    action: dict[str, Any] = {"action_id": element["action_id"]}
    if kind == "button":
        return action  # its own value is added as Slack adds it
    if kind == "overflow":
        options = {o["value"]: o for o in element.get("options", [])}
        if value not in options:
            raise Refused("That is not one of the menu's choices.")
        action["selected_option"] = options[value]
        return action
    state = input_state(element, value)
    state.pop("type")
    if kind == "users_select" and value and value not in slack.users:
        raise Refused("There is nobody like that in this workspace.")
    action.update(state)
    return action
