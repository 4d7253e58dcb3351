"""Who is in the responders user group (``INCIDENTBOT_RESPONDERS``), as Slack says.

Asked at most once a minute (``usergroups.users.list``), always outside a database
transaction, before a privileged change is checked. When Slack does not answer, the
last answer stands; with none yet, membership is unknown and a refusal says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.incidents.permissions import Actor

log = logging.getLogger(__name__)

FRESH_FOR = 60.0  # seconds an answer is reused


class Responders:
    def __init__(
        self,
        client: WebClient,
        group: str | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.group = group
        self._clock = clock
        self._lock = threading.Lock()
        self._members: frozenset[str] | None = None
        self._read_at = 0.0

    def actor(self, user: str) -> Actor:
        """``user`` as the permission policy sees them."""
        if not self.group:
            return Actor(user, False)
        members = self.members()
        return Actor(user, None if members is None else user in members)

    def members(self) -> frozenset[str] | None:
        if not self.group:
            return frozenset()
        with self._lock:
            if self._members is not None and self._clock() - self._read_at < FRESH_FOR:
                return self._members
            try:
                answer = self.client.usergroups_users_list(usergroup=self.group)
                self._members = frozenset(str(u) for u in answer.get("users") or [])
                self._read_at = self._clock()
            except (SlackApiError, SlackClientError, OSError) as exc:
                log.warning("could not read the members of %s: %s", self.group, exc)
            return self._members
