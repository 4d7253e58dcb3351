"""The sandbox's workspace kept on disk beside its database, so an incident declared
yesterday still has its channel today (and a new channel never takes an old ID that the
database still points at)."""

from __future__ import annotations

import base64
import itertools
import json
import os
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.sandbox.slack_api import Channel, SlackStandIn

FORMAT = 1


def save(slack: SlackStandIn, path: Path) -> None:
    """Write the workspace atomically (a crash mid-write leaves the last copy)."""
    with slack._lock:
        next_id, next_ts = next(slack._ids), next(slack._ts)
        state = {
            "format": FORMAT,
            "next_id": next_id,
            "next_ts": next_ts,
            "users": slack.users,
            "usergroups": {k: sorted(v) for k, v in slack.usergroups.items()},
            "channels": [
                {**asdict(c), "members": sorted(c.members)} for c in slack.channels.values()
            ],
            "views": slack.views,
            "modals": slack.modals,
            "uploads": {
                fid: {**u, "data": base64.b64encode(u["data"]).decode() if u["data"] else None}
                for fid, u in slack.uploads.items()
            },
        }
        # next() above used one of each; the counters go on from there.
        slack._ids = itertools.count(next_id + 1)
        slack._ts = itertools.count(next_ts + 1)
        text = json.dumps(state, default=_bytes)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def load(slack: SlackStandIn, path: Path) -> bool:
    """Put back a saved workspace; False when there is none yet."""
    if not path.exists():
        return False
    state = json.loads(path.read_text(encoding="utf-8"))
    if state.get("format") != FORMAT:
        raise ValueError(f"{path} was written by another version of the sandbox")
    with slack._lock:
        slack._ids = itertools.count(int(state["next_id"]))
        slack._ts = itertools.count(int(state["next_ts"]))
        slack.users = dict(state["users"])
        slack.usergroups = {k: set(v) for k, v in state["usergroups"].items()}
        slack.channels = {}
        for raw in state["channels"]:
            channel = Channel(**{**raw, "members": set(raw["members"])})
            for shared in channel.files:
                if isinstance(shared.get("content"), dict):
                    shared["content"] = base64.b64decode(shared["content"]["_b64"])
            slack.channels[channel.id] = channel
        slack.views = dict(state["views"])
        slack.modals = {k: list(v) for k, v in state["modals"].items()}
        slack.uploads = {
            fid: {**u, "data": base64.b64decode(u["data"]) if u["data"] else None}
            for fid, u in state["uploads"].items()
        }
    slack.changed()
    return True


def _bytes(value: Any) -> Any:
    if isinstance(value, bytes):  # a shared file's content, kept in the channel's list
        return {"_b64": base64.b64encode(value).decode()}
    raise TypeError(f"cannot keep {type(value).__name__} in the sandbox's workspace")


class Keeper:
    """Saves the workspace at most once every ``every`` seconds after it changes, and
    once more on ``stop``."""

    def __init__(self, slack: SlackStandIn, path: Path, every: float = 1.0) -> None:
        self._slack, self._path, self._every = slack, path, every
        self._saved = -1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-keeper", daemon=True)

    def start(self) -> Keeper:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._save_if_changed()

    def _save_if_changed(self) -> None:
        version = self._slack.version
        if version != self._saved:
            save(self._slack, self._path)
            self._saved = version

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._save_if_changed()
