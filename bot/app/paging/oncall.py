"""Who is on call: asked by ``/incident oncall``, and brought into the channel once
a page is sent."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.app import effects
from bot.app.effect_kinds import BringOnCall, Post
from bot.app.paging.sending import configured_pager
from bot.outbox.failures import Refused
from bot.paging.provider import OnCall
from bot.slack.blocks.text import escape
from bot.slack.webapi import notify
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident, Page

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger(__name__)


def on_call_now(services: Services, service_name: str | None, reply: Reply) -> None:
    """``/incident oncall [service]``: who is on call now, asked of the provider."""
    paging, pager = services.settings.paging, services.pager
    if pager is None:
        reply(text="Paging is not set up, so the bot cannot say who is on call.")
        return
    service = paging.directory.named(service_name) if service_name else paging.directory.default
    if service is None:
        known = paging.directory.known()
        reply(text=f"Name a service (`/incident oncall <service>`); {known}.")
        return
    try:
        people = pager.on_call(service.id)
    except Refused as refused:
        reply(
            text=f"Could not read who is on call for {escape(service.title)}: "
            f"{escape(str(refused))}."
        )
        return
    if not people:
        reply(text=f"{pager.name} says nobody is on call for {escape(service.title)} now.")
        return
    lines = [f"On call for {escape(service.title)} now ({pager.name}):"]
    lines += [f"• level {p.level}: {escape(p.name)}" for p in people]
    reply(text="\n".join(lines))


def bring_on_call(services: Services, incident_id: int, effect: BringOnCall) -> None:
    """Who is on call at the first level, found in Slack by email and invited."""
    with services.db.begin() as session:
        page = session.get(Page, effect.page)
        incident = session.get(Incident, incident_id)
        if page is None or incident is None or incident.channel_id is None:
            return
        provider, service, channel = page.provider, page.service, incident.channel_id
    pager = configured_pager(services, provider)
    people = [p for p in pager.on_call(service) if p.level == 1]
    joined, unknown = [], []
    for person in people:
        user = _slack_user(services, person)
        if user is None:
            unknown.append(person)
            continue
        notify.invite(services.client, channel, user)
        joined.append(user)
    with services.db.begin() as session:
        parts = []
        if joined:
            parts.append(
                f"On call for *{escape(str(effect.service))}*: "
                + ", ".join(f"<@{u}>" for u in joined)
                + " (invited to this channel)."
            )
        for person in unknown:
            why = (
                "has no Slack account with the email the provider gives"
                if person.email
                else "has no email in the provider to find them in Slack by"
            )
            parts.append(f"{escape(person.name)} is on call but {why}; reach them another way.")
        if not people:
            parts.append(
                f"{pager.name} names nobody on call for *{escape(str(effect.service))}* "
                "now: the page waits for someone to take it."
            )
        effects.enqueue(session, incident_id, Post(channel=channel, text="\n".join(parts)))


def _slack_user(services: Services, person: OnCall) -> str | None:
    if not person.email:
        return None
    try:
        found = services.client.users_lookupByEmail(email=person.email)
    except SlackApiError as exc:
        if exc.response.get("error") == "users_not_found":
            return None
        raise
    user = found.get("user") or {}
    return str(user["id"]) if user.get("id") and not user.get("deleted") else None
