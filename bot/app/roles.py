"""Taking a role: check the person, record it, invite them, redraw, announce, brief them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.app import effects, updates
from bot.app.common import apply
from bot.app.effect_kinds import HandoverCard, Invite, Post, RedrawSummary, Tell
from bot.documents.templating import render_text
from bot.incidents import handover, timeline
from bot.incidents.assign_role import RoleChange, assign_role
from bot.incidents.errors import InvalidInput
from bot.incidents.kinds import EventKind
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.slack.blocks import handover_request
from bot.slack.blocks.kit import render
from bot.slack.blocks.text import MrkdwnRefusal, escape, mention, mentioned_user, refusal
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import HandoverRequest, Incident, utcnow

if TYPE_CHECKING:
    from bot.app.services import Services


def resolve_user(client: WebClient, token: str) -> str:
    """A user ID from ``<@U123|cara>`` (escaped command text) or a plain ``@cara``."""
    token = token.strip()
    if (user := mentioned_user(token)) is not None:
        return user
    name = token.removeprefix("@").lower()
    if not name or not token.startswith("@"):
        raise InvalidInput(
            f"Name the person with an @mention, e.g. `@cara` (got `{escape(token)}`)."
        )
    found: set[str] = set()
    cursor = None
    while True:
        page = client.users_list(limit=200, cursor=cursor)
        for user in page["members"]:
            profile = user.get("profile") or {}
            names = {
                user.get("name"),
                profile.get("display_name"),
                profile.get("real_name"),
                user.get("real_name"),
            }
            if name in {str(n).lower() for n in names if n} and not user.get("deleted"):
                found.add(user["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    if not found:
        raise InvalidInput(f"No one in this workspace is called @{escape(name)}.")
    if len(found) > 1:
        raise InvalidInput(
            f"More than one person answers to @{escape(name)}; mention them "
            "with Slack's @-autocomplete or pick them on the pinned summary."
        )
    return found.pop()


def check_person(client: WebClient, user_id: str) -> None:
    try:
        user: dict[str, Any] = client.users_info(user=user_id)["user"]
    except SlackApiError as exc:
        if exc.response.get("error") in {"user_not_found", "user_not_visible"}:
            raise InvalidInput("Slack does not know that person; pick someone else.") from None
        raise
    if user.get("deleted") or user.get("is_bot"):
        raise InvalidInput("That account cannot hold a role (deactivated, or a bot).")


@dataclass(frozen=True)
class Asked:
    """The role is held and the actor may not give it: its holder was asked."""

    holder: str | None
    minutes: int


def assign(
    services: Services, channel_id: str, role: Role, user_id: str, actor: str, reply: Reply
) -> None:
    """Give ``role`` to ``user_id`` if ``actor`` may; else ask its holder and the Commander."""
    if role is Role.LEGAL_LIAISON and not services.settings.reporting.on:
        reply(
            text="There is no Legal Liaison here: serious-incident reporting is off "
            "(INCIDENTBOT_REPORTING)."
        )
        return
    try:
        check_person(services.client, user_id)
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return
    who = services.actor(actor)
    policy = services.policy

    def record(session: Session, incident: Incident) -> RoleChange | Asked:
        if incident.holder(role) == user_id:
            return RoleChange(role, user_id, user_id)
        if not policy.may_give(incident, role, who):
            holder = policy.holder(incident, role)
            request = handover.ask(
                session, incident, role, user_id, by=actor, holder=holder, now=utcnow()
            )
            effects.enqueue(session, incident.id, HandoverCard(request=request.id))
            return Asked(holder, int(handover.WAIT.total_seconds() // 60))
        result = assign_role(session, incident, role, user_id, by=actor)
        if result.changed:
            owe_role_change(session, incident, result, actor)
        return result

    result = apply(services, channel_id, record, reply)
    if isinstance(result, Asked):
        helper = " or a responder" if policy.responders else ""
        if role is Role.COMMANDER:  # the Commander is the holder: no one else to name
            may = f"only they{helper} can hand it over"
        else:
            others = ", the Incident Commander" if helper else " or the Incident Commander"
            may = f"they{others}{helper} can hand it to {mention(user_id)}"
        reply(
            text=f"{mention(result.holder)} holds {role.info.title}: {may}. I asked in the "
            f"channel; the request lapses in {result.minutes} minutes."
        )
    elif result is not None and not result.changed:
        reply(text=f"<@{user_id}> already holds {role.info.title}.")


def owe_role_change(
    session: Session, incident: Incident, result: RoleChange, actor: str, *, asked_by: str = ""
) -> None:
    """What a role changing hands owes Slack: invite, redraw, announce, brief."""
    channel_id = incident.channel_id
    role, user_id = result.role, result.user_id
    effects.enqueue(session, incident.id, Invite(channel=channel_id, user=user_id))
    effects.enqueue(session, incident.id, RedrawSummary())
    text = announcement(result, actor)
    if asked_by and asked_by != actor:
        text += f" Asked by <@{asked_by}>."
    effects.enqueue(session, incident.id, Post(channel=channel_id, text=text))
    effects.enqueue(
        session,
        incident.id,
        Tell(channel=channel_id, user=user_id, text=_brief(incident, role)),
    )
    if role is Role.COMMS_LEAD:
        updates.propose_first_notice(session, incident, user_id)


def answer_request(
    services: Services, channel_id: str, request_id: int, agree: bool, actor: str, reply: Reply
) -> None:
    """A click on *Hand over* or *Keep* under a request: the holder, the Commander or a
    responder answers; the first answer counts."""
    who = services.actor(actor)
    policy = services.policy

    def record(session: Session, incident: Incident) -> str | None:
        now = utcnow()
        try:
            request = handover.open_request(session, incident, request_id, now)
        except handover.Closed as closed:
            raise MrkdwnRefusal(closed.say(mention)) from None
        effects.enqueue(session, incident.id, HandoverCard(request=request_id))
        role = Role(request.role)
        holder = policy.holder(incident, role)
        if incident.holder(role) == request.candidate:  # it happened another way meanwhile
            handover.decide(request, "superseded", None, now)
            return f"{mention(request.candidate)} already holds {role.info.title}."
        policy.check_consent(incident, role, holder, who)
        if not agree:
            handover.decide(request, "declined", actor, now)
            timeline.record(
                session,
                incident,
                EventKind.HANDOVER_DECLINED,
                f"@{actor} kept {role.info.title} from going to @{request.candidate}",
                actor=actor,
                role=role.value,
                user=request.candidate,
                requested_by=request.requested_by,
            )
            return None
        handover.decide(request, "handed_over", actor, now)
        result = assign_role(session, incident, role, request.candidate, by=actor)
        owe_role_change(session, incident, result, actor, asked_by=request.requested_by)
        return None

    said = apply(services, channel_id, record, reply)
    if said:
        reply(text=said)


def draw_request(services: Services, request_id: int) -> None:
    """Post the request with its buttons, or redraw it as it ended (an outbox effect)."""
    with services.db.begin() as session:
        candidate = session.scalar(
            select(HandoverRequest.candidate).where(HandoverRequest.id == request_id)
        )
    name = _display_name(services.client, candidate) if candidate else None
    with services.db.begin() as session:
        request = session.get(HandoverRequest, request_id)
        if request is None or request.channel_id is None:
            return
        incident = session.get(Incident, request.incident_id)
        assert incident is not None
        commander = services.policy.holder(incident, Role.COMMANDER)
        shown = render(handover_request.request_blocks(request, commander, name))
        text = handover_request.request_text(request)
        channel, ts = request.channel_id, request.message_ts
    if ts is None:
        ts = notify.post(services.client, channel, text, blocks=shown)
        with services.db.begin() as session:
            session.execute(
                update(HandoverRequest)
                .where(HandoverRequest.id == request_id)
                .values(message_ts=ts)
                .execution_options(synchronize_session=False)
            )
        # An answer that came in while it was being posted is drawn now.
        with services.db.begin() as session:
            decided = session.scalar(
                select(HandoverRequest.decision).where(HandoverRequest.id == request_id)
            )
        if decided is not None:
            draw_request(services, request_id)
    else:
        services.client.chat_update(channel=channel, ts=ts, text=text, blocks=shown)


def _display_name(client: WebClient, user_id: str) -> str | None:
    try:
        user: dict[str, Any] = client.users_info(user=user_id)["user"]
    except SlackApiError:
        return None
    profile = user.get("profile") or {}
    return str(profile.get("display_name") or user.get("name") or "") or None


def announcement(result: RoleChange, actor: str) -> str:
    title = result.role.info.title
    if result.previous:
        return (
            f"<@{result.user_id}> takes over as {title} from <@{result.previous}> "
            f"(set by <@{actor}>)."
        )
    return f"<@{result.user_id}> is now {title} (set by <@{actor}>) — {result.role.info.owns}."


def _brief(incident: Incident, role: Role) -> str:
    severity = Severity(incident.severity)
    # The brief is the team's words: a "<sev>" in it is text, not one of Slack's tokens.
    return escape(
        render_text(
            f"roles/{role.value}.md.j2",
            reference=incident.reference,
            severity=severity.label,
            expectation=severity.info.expectation,
        )
    )


def draw_request_owed(services: Services, incident_id: int, effect: HandoverCard) -> None:
    draw_request(services, int(effect.request))
