"""The Slack app manifest (``incidentbot manifest --url ...``)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from bot.slack.listeners.events.reactions import SUBSCRIBED
from bot.slack.listeners.shortcuts.timeline import SHORTCUT

# What the bot does with each scope, so an admin reviewing the install can check.
BOT_SCOPES = {
    "commands": "the /incident command",
    "chat:write": "post summaries, updates and reminders",
    "chat:write.public": "announce in a broadcast channel without being invited",
    "channels:manage": "create incident channels, set their topic, invite responders",
    "channels:read": "look up channels",
    "channels:join": "join the broadcast channel",
    "channels:history": "read pinned (:pushpin:) messages for the timeline",
    "groups:write": "create private incident channels, invite responders, archive a moved one",
    "groups:read": "see who is in a private incident channel: /incident list shows it only to them",
    "groups:history": "read pinned (:pushpin:) messages in private incident channels",
    "usergroups:read": "check who is in the INCIDENTBOT_RESPONDERS user group",
    "pins:write": "pin the incident summary",
    "reactions:read": "add :pushpin:-reacted messages to the timeline",
    "bookmarks:write": "bookmark dashboards, runbooks and the post-mortem",
    "files:write": "upload post-mortems, drift charts and the review's charts",
    "im:write": "send /incident stats charts to the person who asked",
    "users:read": "check that a person picked for a role exists",
    "users:read.email": "find the paged on-call in Slack by their email, to invite them",
}


# What Sign in with Slack asks of the person signing in to the console.
SIGN_IN_SCOPES = ("openid", "email", "profile")


class ManifestError(ValueError):
    pass


def build_manifest(url: str, name: str = "incidentbot") -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ManifestError(
            f"--url must be the bot's public https address (e.g. https://bot.example.com), "
            f"not {url!r}: Slack only sends requests to https URLs."
        )
    events_url = url.rstrip("/") + "/slack/events"
    return {
        "display_information": {
            "name": name,
            "description": "Runs ML incidents in Slack: declare, triage, drift, post-mortem.",
            "background_color": "#3b2a5c",
        },
        "features": {
            "bot_user": {"display_name": "incidentbot", "always_online": True},
            "slash_commands": [
                {
                    "command": "/incident",
                    "url": events_url,
                    "description": "Declare and run ML incidents",
                    "usage_hint": "declare sev1 <title> | note <text> | timeline | help",
                    "should_escape": True,
                }
            ],
            "shortcuts": [
                {
                    "name": "Add to incident timeline",
                    "type": "message",
                    "callback_id": SHORTCUT,
                    "description": "Put this message on the incident's timeline",
                }
            ],
        },
        "oauth_config": {
            # The web console's Sign in with Slack (OpenID Connect) returns to this URL.
            "redirect_urls": [url.rstrip("/") + "/signin/callback"],
            "scopes": {"bot": sorted(BOT_SCOPES), "user": sorted(SIGN_IN_SCOPES)},
        },
        "settings": {
            "event_subscriptions": {
                "request_url": events_url,
                "bot_events": list(SUBSCRIBED),
            },
            "interactivity": {"is_enabled": True, "request_url": events_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def manifest_json(url: str) -> str:
    return json.dumps(build_manifest(url), indent=2)
