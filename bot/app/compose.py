"""The composition root: every long-lived object of the process, built once.

The Slack adapter's Bolt app is built from these services by
``bot.slack.listeners.bolt.build_app``; the webhooks, the scheduler and the command
line use them directly.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient

from bot.alerts.intake import AlertIntake
from bot.app import alerts, channel_setup, effects
from bot.app.background import Background
from bot.app.effect_table import TABLE
from bot.app.paging import owing
from bot.app.services import Services
from bot.config import Settings
from bot.containment.mlflow import Registry
from bot.outbox import leases, received
from bot.outbox.leases import Renewer
from bot.paging.opsgenie import Opsgenie
from bot.paging.pagerduty import PagerDuty
from bot.paging.provider import Pager
from bot.slack.webapi.responders import Responders
from bot.store.db import Database
from bot.tracking.confluence import Confluence
from bot.tracking.github import GitHubIssues
from bot.tracking.jira import JiraCloud
from bot.tracking.tracker import Tracker

log = logging.getLogger(__name__)


def build_services(settings: Settings, db: Database, client: WebClient) -> Services:
    """Every long-lived object of the process, made once. The alert intake reports to
    the alerts flow and the outbox performs effects by the table; both call
    back into the finished services."""
    services: Services
    leases.set_lease_length(timedelta(seconds=settings.lease_seconds))
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
        outbox=effects.engine(db, lambda: services, TABLE),
        journal=received.Journal(db),
        request_leases=Renewer(db, received.REQUESTS),
        prompt_leases=Renewer(db, alerts.PROMPTS),
        provisioner=channel_setup.Provisioner(
            db,
            client,
            settings,
            responders,
            owe_page=lambda session, incident: owing.owe_automatic(services, session, incident),
            page_now=lambda incident_id: services.background.submit_paging(
                owing.send_now, services, incident_id
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
