"""Every kind of Slack work the outbox owes: one frozen dataclass each, its fields the payload.

A row stores ``kind`` (the class's name for it, below) and ``payload`` (the fields as
JSON, ``dataclasses.asdict``). The names and the fields are what rows already stored
hold, so work owed by an earlier release decodes into these classes; a field rows from
before it existed lack has a default. Each class says, for the outbox, whether it keeps
its order (it adds a message to a channel: readers see the order), whether it waits for
the incident's channel, and what it was for (``what``: "Could not <what>"). Who performs
each is ``bot.app.effect_table``; this module imports no flow, so every flow can use it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Union

from bot.slack.blocks.text import escape


class Effect:
    """Work owed to Slack (or to a pager, a tracker) because of a stored change."""

    kind: ClassVar[str]  # the name stored in the row
    ordered: ClassVar[bool] = False  # adds a message to a channel: its order is kept
    # Performed only once the incident's channel exists (False: work that names where it
    # goes and may be performed while the incident has no channel).
    waits_for_channel: ClassVar[bool] = True

    def what(self) -> str:
        """What it was for, finishing the sentence "Could not ..."."""
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        """The fields as stored (JSON types only)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]


def _channel(channel: str | None) -> str:
    return f"<#{channel}>" if channel else "this channel"


def _user(user: str | None) -> str:
    return f"<@{user}>" if user else "someone"


# The plain Slack calls ---------------------------------------------------------------


@dataclass(frozen=True)
class RedrawSummary(Effect):
    kind: ClassVar[str] = "summary"

    def what(self) -> str:
        return "redraw the pinned summary"


@dataclass(frozen=True)
class RetireProposal(Effect):
    """Take the buttons off the last triage proposal: the incident is resolved."""

    kind: ClassVar[str] = "retire_proposal"

    def what(self) -> str:
        return "take the buttons off the triage proposal"


@dataclass(frozen=True)
class LearnNames(Effect):
    """Ask Slack for the names of everyone the incident names, and remember them."""

    kind: ClassVar[str] = "learn_names"
    waits_for_channel: ClassVar[bool] = False

    def what(self) -> str:
        return "learn the names of the incident's people"


@dataclass(frozen=True)
class Post(Effect):
    """Text into a channel; None (a flow that wrote it before the channel existed) means
    the incident's own, as it is when this runs."""

    kind: ClassVar[str] = "post"
    ordered: ClassVar[bool] = True
    channel: str | None
    text: str

    def what(self) -> str:
        return f"post to {_channel(self.channel)}"


@dataclass(frozen=True)
class Message(Effect):
    """A message with blocks; no channel means the incident's own."""

    kind: ClassVar[str] = "message"
    ordered: ClassVar[bool] = True
    text: str
    blocks: list[dict[str, Any]] | None = None
    channel: str | None = None

    def what(self) -> str:
        return f"post to {_channel(self.channel)}"


@dataclass(frozen=True)
class DeadNotice(Effect):
    """What could not be done, said in the incident channel (never reported in turn)."""

    kind: ClassVar[str] = "dead_notice"
    text: str

    def what(self) -> str:
        return "report work Slack refused"


@dataclass(frozen=True)
class Bookmark(Effect):
    kind: ClassVar[str] = "bookmark"
    title: str
    link: str

    def what(self) -> str:
        return f"add the bookmark “{escape(self.title)}”"


@dataclass(frozen=True)
class Tell(Effect):
    """A message only ``user`` sees, in ``channel`` (None: the incident's own)."""

    kind: ClassVar[str] = "tell"
    channel: str | None
    user: str
    text: str

    def what(self) -> str:
        return f"send {_user(self.user)} a private message"


@dataclass(frozen=True)
class AiAnswer(Effect):
    """The AI investigator's answer, in the thread under ``thread_ts`` (None: the channel)."""

    kind: ClassVar[str] = "ai_answer"
    ordered: ClassVar[bool] = True
    channel: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]] | None = None

    def what(self) -> str:
        return f"post the AI investigation's answer to {_channel(self.channel)}"


@dataclass(frozen=True)
class Invite(Effect):
    """Into the given channel, or the incident's own as it is when this runs."""

    kind: ClassVar[str] = "invite"
    user: str
    channel: str | None = None

    def what(self) -> str:
        return f"invite {_user(self.user)} to this channel"


@dataclass(frozen=True)
class Archive(Effect):
    kind: ClassVar[str] = "archive"
    ordered: ClassVar[bool] = True  # after the notice
    channel: str

    def what(self) -> str:
        return f"archive {_channel(self.channel)}"


@dataclass(frozen=True)
class Rename(Effect):
    kind: ClassVar[str] = "rename"
    ordered: ClassVar[bool] = True
    channel: str
    name: str

    def what(self) -> str:
        return f"rename {_channel(self.channel)}"


@dataclass(frozen=True)
class Upload(Effect):
    """A file into the channel; ``content`` is base64."""

    kind: ClassVar[str] = "upload"
    ordered: ClassVar[bool] = True
    channel: str
    content: str
    filename: str
    title: str
    comment: str | None = None

    def what(self) -> str:
        return f"upload {escape(self.filename)} to {_channel(self.channel)}"


# The channel's set-up ----------------------------------------------------------------


@dataclass(frozen=True)
class OpenChannel(Effect):
    """Slack refused the channel: owed again, it lets the set-up sweep take it up."""

    kind: ClassVar[str] = "open_channel"

    def what(self) -> str:
        return "create the incident's channel"


@dataclass(frozen=True)
class ChannelRefused(Effect):
    """To the declarer (a direct message from the app) or the broadcast channel."""

    kind: ClassVar[str] = "channel_refused"
    waits_for_channel: ClassVar[bool] = False
    to: str
    text: str

    def what(self) -> str:
        return "say that Slack refused the channel"


@dataclass(frozen=True)
class SetTopic(Effect):
    kind: ClassVar[str] = "topic"

    def what(self) -> str:
        return "set this channel's topic"


@dataclass(frozen=True)
class PostSummary(Effect):
    kind: ClassVar[str] = "post_summary"
    ordered: ClassVar[bool] = True

    def what(self) -> str:
        return "post the incident's summary"


@dataclass(frozen=True)
class PinSummary(Effect):
    kind: ClassVar[str] = "pin_summary"

    def what(self) -> str:
        return "pin the incident's summary"


@dataclass(frozen=True)
class PostTriageCard(Effect):
    kind: ClassVar[str] = "triage_card"
    ordered: ClassVar[bool] = True

    def what(self) -> str:
        return "post the triage card"


@dataclass(frozen=True)
class Announce(Effect):
    kind: ClassVar[str] = "announce"

    def what(self) -> str:
        return "announce the incident in the broadcast channel"


@dataclass(frozen=True)
class ModelCard(Effect):
    kind: ClassVar[str] = "model_card"
    model: str
    by: str | None = None

    def what(self) -> str:
        return "post the model's registry card"


# The flows' own work -----------------------------------------------------------------


@dataclass(frozen=True)
class Pin(Effect):
    """A message pinned in the channel, put on the timeline."""

    kind: ClassVar[str] = "pin"
    ts: str
    user: str

    def what(self) -> str:
        return "put a pinned message on the timeline"


@dataclass(frozen=True)
class PrivateNotice(Effect):
    kind: ClassVar[str] = "private_notice"
    channel: str
    ts: str

    def what(self) -> str:
        return "take the title out of the broadcast announcement"


@dataclass(frozen=True)
class UploadPostmortem(Effect):
    kind: ClassVar[str] = "postmortem"
    ordered: ClassVar[bool] = True
    by: str

    def what(self) -> str:
        return "upload the post-mortem"


@dataclass(frozen=True)
class PublishPostmortem(Effect):
    kind: ClassVar[str] = "publish_postmortem"
    by: str | None = None

    def what(self) -> str:
        return "publish the post-mortem to Confluence"


@dataclass(frozen=True)
class RedrawTriageCard(Effect):
    kind: ClassVar[str] = "card"
    response_url: str | None = None
    asked_at: str | None = None  # ISO time the answer was given
    user: str | None = None

    def what(self) -> str:
        return "redraw the triage card"


@dataclass(frozen=True)
class TriageFollowUp(Effect):
    kind: ClassVar[str] = "follow_up"
    ordered: ClassVar[bool] = True

    def what(self) -> str:
        return "post the triage follow-up"


@dataclass(frozen=True)
class OfferRunbook(Effect):
    kind: ClassVar[str] = "runbook"
    ordered: ClassVar[bool] = True
    runbook: str

    def what(self) -> str:
        return "post the runbook"


@dataclass(frozen=True)
class StartDrift(Effect):
    """An analysis an alert asked for, once the incident has its channel."""

    kind: ClassVar[str] = "drift"
    reference: str
    current: str
    prediction: str | None = None

    def what(self) -> str:
        return "start the drift analysis the alert asked for"


@dataclass(frozen=True)
class FileTicket(Effect):
    kind: ClassVar[str] = "file_ticket"
    item: int

    def what(self) -> str:
        return "file the action item's ticket"


@dataclass(frozen=True)
class PostActionCard(Effect):
    kind: ClassVar[str] = "action_card_post"
    ordered: ClassVar[bool] = True
    channel: str
    item_id: int

    def what(self) -> str:
        return f"post an action item's card to {_channel(self.channel)}"


@dataclass(frozen=True)
class RedrawActionCard(Effect):
    kind: ClassVar[str] = "action_card"
    ts: str
    item_id: int
    closed_by: str | None = None

    def what(self) -> str:
        return "redraw an action item's card"


@dataclass(frozen=True)
class HandoverCard(Effect):
    kind: ClassVar[str] = "handover_card"
    request: int

    def what(self) -> str:
        return "post or redraw a hand-over request"


@dataclass(frozen=True)
class AlertDigest(Effect):
    kind: ClassVar[str] = "alert_digest"
    ordered: ClassVar[bool] = True

    def what(self) -> str:
        return "post the digest of alert changes"


@dataclass(frozen=True)
class PostDrillInject(Effect):
    kind: ClassVar[str] = "drill_inject"
    ordered: ClassVar[bool] = True
    inject: int

    def what(self) -> str:
        return "post a drill inject"


@dataclass(frozen=True)
class DrillReport(Effect):
    kind: ClassVar[str] = "drill_report"
    by: str | None = None

    def what(self) -> str:
        return "upload the drill report"


# Paging ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendPage(Effect):
    kind: ClassVar[str] = "page"
    page: int
    service: str | None = None

    def what(self) -> str:
        return f"page {escape(self.service or 'the on-call')}"


@dataclass(frozen=True)
class ResolvePage(Effect):
    kind: ClassVar[str] = "page_resolve"
    page: int
    service: str | None = None

    def what(self) -> str:
        return f"resolve the page of {escape(str(self.service))}"


@dataclass(frozen=True)
class EscalatePage(Effect):
    kind: ClassVar[str] = "page_escalate"
    page: int
    level: int
    service: str | None = None

    def what(self) -> str:
        return f"escalate the page of {escape(str(self.service))}"


@dataclass(frozen=True)
class LadderInvite(Effect):
    kind: ClassVar[str] = "ladder_invite"
    entry: str

    def what(self) -> str:
        return "bring the next level of the escalation ladder in"


@dataclass(frozen=True)
class BringOnCall(Effect):
    kind: ClassVar[str] = "bring_on_call"
    page: int
    service: str | None = None

    def what(self) -> str:
        return f"bring the on-call of {escape(str(self.service))} in"


# The status page ---------------------------------------------------------------------


@dataclass(frozen=True)
class SyncStatuspage(Effect):
    """Copy one publication to Atlassian Statuspage: create the incident there, or update it."""

    kind: ClassVar[str] = "sync_statuspage"
    ordered: ClassVar[bool] = True  # the creation before its updates
    waits_for_channel: ClassVar[bool] = False
    update_id: int

    @property
    def channel(self) -> str:
        """Its order is kept in a queue of its own (``effects.enqueue`` keys on this): a
        rate-limited Statuspage holds back no post in the incident's channel."""
        return "statuspage"

    def what(self) -> str:
        return "copy the status page's update to Statuspage"


# Stored kind name -> class: what a row can hold (``bot.app.effect_table`` gives each a
# performer, and checks that it gives one to every class here).
BY_KIND: dict[str, type[Effect]] = {}
for _cls in (
    RedrawSummary,
    Post,
    Message,
    DeadNotice,
    Bookmark,
    Tell,
    AiAnswer,
    Invite,
    Archive,
    Rename,
    Upload,
    OpenChannel,
    ChannelRefused,
    SetTopic,
    PostSummary,
    PinSummary,
    PostTriageCard,
    Announce,
    ModelCard,
    Pin,
    PrivateNotice,
    UploadPostmortem,
    PublishPostmortem,
    RedrawTriageCard,
    TriageFollowUp,
    OfferRunbook,
    StartDrift,
    FileTicket,
    PostActionCard,
    RedrawActionCard,
    HandoverCard,
    AlertDigest,
    PostDrillInject,
    DrillReport,
    SendPage,
    ResolvePage,
    EscalatePage,
    LadderInvite,
    BringOnCall,
    LearnNames,
    RetireProposal,
    SyncStatuspage,
):
    if _cls.kind in BY_KIND:
        raise ValueError(f"two Slack effects are stored as {_cls.kind!r}")
    BY_KIND[_cls.kind] = _cls


class Undecodable(Exception):
    """A stored row that no class here can hold: a kind from a newer or older release, or
    a payload that does not fit its class. Final: it would never be performed."""


def decode(kind: str, payload: dict[str, Any]) -> Effect:
    """The typed effect a row stores, or :class:`Undecodable` saying why not."""
    cls = BY_KIND.get(kind)
    if cls is None:
        raise Undecodable(f"no performer for the Slack effect {kind!r}")
    assert dataclasses.is_dataclass(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(payload) - set(fields))
    missing = sorted(
        name
        for name, f in fields.items()
        if name not in payload
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    )
    if unknown or missing:
        raise Undecodable(
            f"the Slack effect {kind!r} does not fit its payload"
            + (f"; unknown fields {unknown}" if unknown else "")
            + (f"; missing fields {missing}" if missing else "")
        )
    hints = typing.get_type_hints(cls)
    wrong = sorted(name for name, value in payload.items() if not _fits(value, hints[name]))
    if wrong:
        raise Undecodable(f"the Slack effect {kind!r} has fields of the wrong type: {wrong}")
    return cls(**payload)


def _fits(value: object, hint: Any) -> bool:
    """Whether a JSON value fits a field's annotation (its outer type only)."""
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return any(_fits(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is Any:
        return True
    outer = origin or hint
    if outer is int and isinstance(value, bool):
        return False
    return isinstance(value, outer)
