"""The controls on the pinned summary: a person picker per role and a severity picker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.incidents import queries
from bot.incidents.assign_role import RoleChange, assign_role
from bot.incidents.change_severity import SeverityChange, change_severity
from bot.incidents.errors import InvalidInput
from bot.incidents.roles import Role
from bot.incidents.severity import Severity, parse_severity
from bot.models import Incident
from bot.slack import notify
from bot.slack.background import Reply, reply_to
from bot.slack.blocks import ROLE_SELECT_PREFIX, SEVERITY_SELECT
from bot.slack.services import Services

log = logging.getLogger(__name__)

Change = Callable[[Session, Incident], "RoleChange | SeverityChange"]

NOT_AN_INCIDENT = "These controls belong to an incident this bot no longer knows."


def register(app: App, services: Services) -> None:
    def later(work: Callable[..., None]) -> Callable[..., None]:
        """A listener that acknowledges the click, then runs ``work`` in the background."""

        def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            respond = reply_to(body.get("response_url"))
            services.background.submit(work, body, action, respond, services.client)

        return listener

    def pick_role(
        body: dict[str, Any], action: dict[str, Any], respond: Reply, client: WebClient
    ) -> None:
        role = Role(action["action_id"].removeprefix(ROLE_SELECT_PREFIX))
        user_id = action.get("selected_user")
        actor = body["user"]["id"]
        if not user_id:
            return
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError:
            respond(text="Slack does not know that person; pick someone else.")
            return
        if user.get("deleted") or user.get("is_bot"):
            respond(
                text="That account cannot hold a role (deactivated or a bot).",
                replace_original=False,
            )
            return
        _apply(
            services,
            body,
            respond,
            client,
            lambda session, incident: assign_role(session, incident, role, user_id, by=actor),
            invite=user_id,
        )

    def pick_severity(
        body: dict[str, Any], action: dict[str, Any], respond: Reply, client: WebClient
    ) -> None:
        chosen = parse_severity((action.get("selected_option") or {}).get("value", ""))
        if chosen is None:
            return
        severity = Severity(chosen)
        _apply(
            services,
            body,
            respond,
            client,
            lambda session, incident: change_severity(
                session, incident, severity, by=body["user"]["id"]
            ),
        )

    for role in Role:
        app.action(f"{ROLE_SELECT_PREFIX}{role.value}")(later(pick_role))
    app.action(SEVERITY_SELECT)(later(pick_severity))


def _apply(
    services: Services,
    body: dict[str, Any],
    respond: Reply,
    client: WebClient,
    change: Change,
    invite: str | None = None,
) -> None:
    applied = _store(services, body, respond, change)
    if applied is None:
        return
    incident, result = applied
    if not result.changed or incident.channel_id is None:
        return
    if invite:
        try:
            client.conversations_invite(channel=incident.channel_id, users=invite)
        except SlackApiError as exc:
            if exc.response.get("error") not in {"already_in_channel", "cant_invite_self"}:
                raise
    notify.refresh_summary(client, incident)
    notify.post(client, incident.channel_id, _announce(result, body["user"]["id"]))


def _store(
    services: Services, body: dict[str, Any], respond: Reply, change: Change
) -> tuple[Incident, RoleChange | SeverityChange] | None:
    """Apply the change in one transaction; a lost race on a role is retried once."""
    channel_id = (body.get("channel") or {}).get("id", "")
    for attempt in range(2):
        try:
            with services.db.begin() as session:
                incident = queries.by_channel(session, channel_id)
                if incident is None:
                    respond(text=NOT_AN_INCIDENT)
                    return None
                result = change(session, incident)
            return incident, result
        except InvalidInput as problem:
            respond(text=str(problem))
            return None
        except IntegrityError:
            if attempt:
                raise
    return None


def _announce(result: RoleChange | SeverityChange, actor: str) -> str:
    if isinstance(result, RoleChange):
        title = result.role.info.title
        if result.previous:
            return (
                f"<@{result.user_id}> takes over as {title} from <@{result.previous}> "
                f"(set by <@{actor}>)."
            )
        return f"<@{result.user_id}> is now {title} (set by <@{actor}>): {result.role.info.owns}."
    info = result.current.info
    verb = "raised" if result.current < result.previous else "lowered"
    return (
        f"<@{actor}> {verb} the severity from {result.previous.label} to "
        f"{result.current.label} ({info.name}). {info.meaning} Expected: {info.expectation}"
    )
