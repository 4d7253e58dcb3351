"""Taking a role: check the person, record it, invite them, redraw, announce, brief them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.incidents.assign_role import RoleChange, assign_role
from bot.incidents.errors import InvalidInput
from bot.incidents.roles import Role
from bot.incidents.severity import Severity
from bot.models import Incident
from bot.slack import effects
from bot.slack.background import Reply
from bot.slack.flows import updates
from bot.slack.flows.common import apply
from bot.slack.text import escape, refusal
from bot.templating import render_text

if TYPE_CHECKING:
    from bot.slack.services import Services

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def resolve_user(client: WebClient, token: str) -> str:
    """A user ID from ``<@U123|cara>`` (escaped command text) or a plain ``@cara``."""
    token = token.strip()
    if match := _MENTION.match(token):
        return match.group(1)
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


def assign(
    services: Services, channel_id: str, role: Role, user_id: str, actor: str, reply: Reply
) -> None:
    try:
        check_person(services.client, user_id)
    except InvalidInput as problem:
        reply(text=refusal(problem))
        return

    def record(session: Session, incident: Incident) -> RoleChange:
        result = assign_role(session, incident, role, user_id, by=actor)
        if result.changed:
            effects.enqueue(session, incident.id, "invite", channel=channel_id, user=user_id)
            effects.enqueue(session, incident.id, "summary")
            effects.enqueue(
                session, incident.id, "post", channel=channel_id, text=announcement(result, actor)
            )
            effects.enqueue(
                session,
                incident.id,
                "tell",
                channel=channel_id,
                user=user_id,
                text=_brief(incident, role),
            )
            if role is Role.COMMS_LEAD:
                updates.propose_first_notice(session, incident, user_id)
        return result

    result = apply(services, channel_id, record, reply)
    if result is not None and not result.changed:
        reply(text=f"<@{user_id}> already holds {role.info.title}.")


def announcement(result: RoleChange, actor: str) -> str:
    title = result.role.info.title
    if result.previous:
        return (
            f"<@{result.user_id}> takes over as {title} from <@{result.previous}> "
            f"(set by <@{actor}>)."
        )
    return f"<@{result.user_id}> is now {title} (set by <@{actor}>): {result.role.info.owns}."


def _brief(incident: Incident, role: Role) -> str:
    severity = Severity(incident.severity)
    return render_text(
        f"roles/{role.value}.md.j2",
        reference=incident.reference,
        severity=severity.label,
        expectation=severity.info.expectation,
    )
