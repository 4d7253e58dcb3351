"""Who performs each kind of Slack work: one row per class of ``bot.app.effect_kinds``.

The engine decodes a stored row into its class and calls the performer listed here
with it (``effects.engine``, given this table by ``bot.app.compose``). A new kind of
work is a dataclass there and a row here; ``row`` makes mypy check that the performer
takes that class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from bot.app import (
    ai_tasks,
    alerts,
    channel_setup,
    contain,
    drift,
    drills,
    effects,
    people,
    pins,
    postmortem,
    privacy,
    roles,
    status_page,
    tickets,
    timeline,
    triage,
    wiki,
)
from bot.app.effect_kinds import (
    BY_KIND,
    AiAnswer,
    AlertDigest,
    Announce,
    Archive,
    Bookmark,
    BringOnCall,
    ChannelRefused,
    DeadNotice,
    DrillReport,
    Effect,
    EscalatePage,
    FileTicket,
    HandoverCard,
    Invite,
    LadderInvite,
    LearnNames,
    Message,
    ModelCard,
    OfferRunbook,
    OpenChannel,
    Pin,
    PinSummary,
    Post,
    PostActionCard,
    PostDrillInject,
    PostSummary,
    PostTriageCard,
    PrivateNotice,
    PublishPostmortem,
    RedrawActionCard,
    RedrawSummary,
    RedrawTriageCard,
    Rename,
    ResolvePage,
    RetireProposal,
    SendPage,
    SetTopic,
    StartDrift,
    SyncStatuspage,
    Tell,
    TriageFollowUp,
    Upload,
    UploadPostmortem,
)
from bot.app.paging import escalation, oncall, sending

if TYPE_CHECKING:
    from bot.app.services import Services

E = TypeVar("E", bound=Effect)


def row(
    kind: type[E], perform: Callable[[Services, int, E], None]
) -> tuple[type[Effect], effects.Performer]:
    """One row of the table: the performer must take that class (mypy checks it)."""
    return kind, perform


def _table(*rows: tuple[type[Effect], effects.Performer]) -> Mapping[type[Effect], Any]:
    table = dict(rows)
    if len(table) != len(rows):
        raise ValueError("a Slack effect is listed twice in the table")
    missing = sorted(cls.__name__ for cls in BY_KIND.values() if cls not in table)
    extra = sorted(cls.__name__ for cls in table if BY_KIND.get(cls.kind) is not cls)
    if missing or extra:
        raise ValueError(f"the table and bot.app.effect_kinds differ: {missing or extra}")
    return table


TABLE: effects.Table = _table(
    # The plain Slack calls
    row(RedrawSummary, effects.redraw_summary),
    row(Post, effects.post),
    row(Message, effects.message),
    row(DeadNotice, effects.dead_notice),
    row(Bookmark, effects.bookmark),
    row(Tell, effects.tell),
    row(AiAnswer, ai_tasks.post_answer),
    row(Invite, effects.invite),
    row(Archive, effects.archive),
    row(Rename, effects.rename),
    row(Upload, effects.upload),
    # The channel's set-up, retried
    row(OpenChannel, channel_setup.retry_channel),
    row(ChannelRefused, channel_setup.tell_channel_refused),
    row(SetTopic, channel_setup.retry_topic),
    row(PostSummary, channel_setup.retry_summary),
    row(PinSummary, channel_setup.retry_pin),
    row(PostTriageCard, channel_setup.retry_triage_card),
    row(Announce, channel_setup.retry_announce),
    row(ModelCard, contain.post_card),
    # The flows' own work
    row(Pin, pins.pin_owed),
    row(PrivateNotice, privacy.announcement_owed),
    row(UploadPostmortem, postmortem.upload_owed),
    row(PublishPostmortem, wiki.publish_owed),
    row(RedrawTriageCard, triage.redraw_card_owed),
    row(TriageFollowUp, triage.follow_up_owed),
    row(OfferRunbook, triage.runbook_owed),
    row(StartDrift, drift.start_owed),
    row(FileTicket, tickets.file_owed),
    row(PostActionCard, timeline.post_card_owed),
    row(RedrawActionCard, timeline.redraw_action_owed),
    row(LearnNames, people.learn),
    row(RetireProposal, triage.retire_proposal),
    row(HandoverCard, roles.draw_request_owed),
    row(AlertDigest, alerts.post_digest_owed),
    row(PostDrillInject, drills.post_inject),
    row(DrillReport, drills.upload_report),
    # Paging
    row(SendPage, sending.send_page),
    row(ResolvePage, sending.resolve_page),
    row(EscalatePage, escalation.escalate_page),
    row(LadderInvite, escalation.invite_next_level),
    row(BringOnCall, oncall.bring_on_call),
    # The status page
    row(SyncStatuspage, status_page.sync_owed),
)


def kinds() -> frozenset[str]:
    """Every kind the table performs (all a row may be stored as)."""
    return frozenset(cls.kind for cls in TABLE)
