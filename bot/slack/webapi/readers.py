"""What the web console asks Slack about the people reading it: their display names, the
private channels they are in, and whether they belong to the responders group.

Answers are kept a while (names ``NAMES_FOR``, channels ``CHANNELS_FOR``) so a page
is drawn from memory, not from Slack; a person who just joined a private incident's
channel sees it within a minute. When Slack does not answer, the last answer stands, and
with none a person is read as being in no private channel (they see less, never more).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.incidents.permissions import Reader
from bot.slack.webapi.responders import Responders

log = logging.getLogger(__name__)

NAMES_FOR = 3600.0
CHANNELS_FOR = 60.0
MOST_CHANNEL_PAGES = 20  # of 999 channels each
ASKED_AT_ONCE = 8
SLACK_CHANNEL_LINK = "https://slack.com/app_redirect?channel={channel}&team={team}"


class SlackReaders:
    def __init__(
        self,
        client: WebClient,
        responders: Responders,
        team_id: str | None,
        clock: Callable[[], float] = time.monotonic,
        channel_link: str = SLACK_CHANNEL_LINK,
    ) -> None:
        self.channel_link = channel_link
        self.client = client
        self.responders = responders
        self.team_id = team_id
        self._clock = clock
        self._lock = threading.Lock()
        self._names: dict[str, tuple[float, str | None]] = {}
        self._channels: dict[str, tuple[float, frozenset[str]]] = {}
        self._pool = ThreadPoolExecutor(ASKED_AT_ONCE, thread_name_prefix="console-names")

    def reader(self, user: str) -> Reader:
        members = self.responders.members() if self.responders.group else frozenset()
        return Reader(user, bool(members and user in members), self._private_channels(user))

    def _private_channels(self, user: str) -> frozenset[str]:
        with self._lock:
            kept = self._channels.get(user)
        if kept and self._clock() - kept[0] < CHANNELS_FOR:
            return kept[1]
        found: set[str] = set()
        cursor = None
        try:
            for _ in range(MOST_CHANNEL_PAGES):
                page = self.client.users_conversations(
                    user=user, types="private_channel", limit=999, cursor=cursor
                )
                found.update(str(c["id"]) for c in page.get("channels") or [])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("could not read the private channels of %s: %s", user, exc)
            return kept[1] if kept else frozenset()
        channels = frozenset(found)
        with self._lock:
            self._channels[user] = (self._clock(), channels)
        return channels

    def names(self, users: Iterable[str]) -> dict[str, str]:
        """Display names of ``users`` (a person Slack does not answer for is left out)."""
        wanted = {u for u in users if u}
        now = self._clock()
        with self._lock:
            fresh = {u: self._names[u] for u in wanted if u in self._names}
        missing = [u for u in wanted if u not in fresh or now - fresh[u][0] >= NAMES_FOR]
        for user, name in zip(missing, self._pool.map(self._name, missing), strict=True):
            if name is not None or user not in fresh:
                fresh[user] = (now, name)
        with self._lock:
            self._names.update({u: v for u, v in fresh.items() if v[1] is not None})
        return {u: v[1] for u, v in fresh.items() if v[1]}

    def _name(self, user: str) -> str | None:
        try:
            profile = self.client.users_info(user=user)["user"]
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.info("no display name for %s: %s", user, exc)
            return None
        shown = (profile.get("profile") or {}).get("display_name") or profile.get("real_name")
        return str(shown or profile.get("name") or "") or None

    def channel_url(self, channel_id: str) -> str:
        """Where a browser opens the channel in Slack."""
        return self.channel_link.format(channel=channel_id, team=self.team_id or "")
