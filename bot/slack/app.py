"""The composition root: the services, the Bolt app and every use case, wired once.

Listeners live in ``bot/slack/listeners/``; each flow in ``bot/slack/flows/``
registers the durable work it performs with the outbox when it is imported, and
this module imports them all, so every kind of work is known before any runs.
Nothing below this layer imports it.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient

from bot.alerts.intake import AlertIntake
from bot.config import Settings
from bot.containment.mlflow import Registry
from bot.outbox import received
from bot.outbox.leases import Renewer
from bot.paging.opsgenie import Opsgenie
from bot.paging.pagerduty import PagerDuty
from bot.paging.provider import Pager
from bot.slack import effects
from bot.slack.background import Background, reply_to
from bot.slack.flows import (  # noqa: F401  (imported for the work each registers)
    alerts,
    channel_setup,
    contain,
    drift,
    drills,
    nudges,
    open_incident,
    paging,
    pins,
    postmortem,
    privacy,
    resolution,
    roles,
    severity,
    stats,
    tickets,
    timeline,
    triage,
    updates,
)
from bot.slack.keeping import KeepingApp
from bot.slack.listeners import clicks, register_all
from bot.slack.listeners.commands import incident_command
from bot.slack.responders import Responders
from bot.slack.services import Services, from_context
from bot.slack.views import forms
from bot.store.db import Database
from bot.tracking.confluence import Confluence
from bot.tracking.github import GitHubIssues
from bot.tracking.jira import JiraCloud
from bot.tracking.tracker import Tracker

log = logging.getLogger(__name__)


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins; it does."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_services(settings: Settings, db: Database, client: WebClient) -> Services:
    """Every long-lived object of the process, made once. The alert intake reports to
    the alerts flow and the outbox performs the effects flows registered; both call
    back into the finished services."""
    services: Services
    intake = AlertIntake(
        db,
        settings.alert_policy,
        settings.broadcast_channel,
        alerts.reporter,
        lambda outcome: alerts.after(services, outcome),
    )
    responders = Responders(client, settings.responders)
    registry = (
        Registry(settings.mlflow_url, settings.mlflow_token, settings.mlflow_alias)
        if settings.mlflow_url
        else None
    )
    services = Services(
        settings=settings,
        db=db,
        client=client,
        background=Background(),
        alerts=intake,
        responders=responders,
        outbox=effects.engine(db, lambda: services),
        journal=received.Journal(db),
        request_leases=Renewer(db, received.REQUESTS),
        prompt_leases=Renewer(db, alerts.PROMPTS),
        provisioner=channel_setup.Provisioner(
            db,
            client,
            settings,
            responders,
            owe_page=lambda session, incident: paging.owe_automatic(services, session, incident),
            page_now=lambda incident_id: services.background.submit_paging(
                paging.send_now, services, incident_id
            ),
            drain=lambda incident_id: effects.drain(services, incident_id),
        ),
        registry=registry,
        pager=pager_for(settings),
        tracker=tracker_for(settings),
        wiki=wiki_for(settings),
    )
    return services


def pager_for(settings: Settings) -> Pager | None:
    """The provider the settings name, or None when nobody is paged."""
    wanted = settings.paging
    if wanted.pager == "pagerduty" and wanted.pagerduty_token and wanted.pagerduty_from:
        return PagerDuty(wanted.pagerduty_url, wanted.pagerduty_token, wanted.pagerduty_from)
    if wanted.pager == "opsgenie" and wanted.opsgenie_key:
        return Opsgenie(wanted.opsgenie_url, wanted.opsgenie_key)
    return None


def tracker_for(settings: Settings) -> Tracker | None:
    """The tracker the settings name (Jira or GitHub), or None: no tickets are filed."""
    jira, github = settings.tracking.jira, settings.tracking.github
    if jira is not None:
        return JiraCloud(jira.url, jira.email, jira.token, jira.project, jira.issue_type)
    if github is not None:
        return GitHubIssues(github.url, github.token, github.repo)
    return None


def wiki_for(settings: Settings) -> Confluence | None:
    wiki = settings.tracking.confluence
    return Confluence(wiki.url, wiki.email, wiki.token, wiki.space) if wiki else None


def _with_services(services: Services) -> Callable[..., None]:
    def put(context: BoltContext, next: Callable[[], None]) -> None:
        context["services"] = services
        next()

    return put


def _answered_anyway(
    error: Exception, body: dict[str, Any], response: BoltResponse | None, context: BoltContext
) -> None:
    """A listener that failed still answers Slack (200, so the person sees no error page
    and Slack sends nothing again), and the person is told in words, privately."""
    log.error("a Slack listener failed", exc_info=error)
    if response is not None:
        response.status = 200
        response.body = ""
        if isinstance(body, dict) and body.get("type") == "view_submission":
            unreadable = {"response_action": "update", "view": forms.unreadable().to_dict()}
            response.body = json.dumps(unreadable)
            response.headers["content-type"] = ["application/json;charset=utf-8"]
            return
    url = body.get("response_url") if isinstance(body, dict) else None
    if isinstance(url, str) and url:
        services = from_context(context)
        services.background.submit_urgent(functools.partial(reply_to(url), text=clicks.FAILED))


def build_app(services: Services) -> App:
    """A Bolt app in HTTP mode whose listeners acknowledge and return at once.

    Listeners run inline (``process_before_response``): each parses, calls
    ``ack``, hands the rest to ``services.background`` and returns, so the HTTP
    answer leaves as soon as the listener does, with no polling for the ack.
    Every request is stored before its listener runs (``bot.slack.keeping``).
    Signatures are checked before Bolt sees a request (``bot.runtime.web``; Socket Mode
    has none), so Bolt does not check them again, and a stored request can be dispatched
    again after a crash. Building it calls auth.test, so a wrong token fails here,
    at start-up.
    """
    settings = services.settings
    bolt_log = logging.getLogger("bot.slack.bolt")
    bolt_log.addFilter(_QuietTokenWarning())
    app = KeepingApp(
        services,
        lambda kind, body: kind != "command" or incident_command.may_need_work(body),
        client=services.client,
        signing_secret=settings.slack_signing_secret,
        process_before_response=True,
        request_verification_enabled=False,
        logger=bolt_log,
    )
    app.use(_with_services(services))
    app.error(_answered_anyway)
    register_all(app)
    return app
