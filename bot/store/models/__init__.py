"""The database schema, one module a concept: ``incidents`` (the incident, its roles and
its timeline), ``alerts``, ``work`` (outbox, received requests, reminders), ``drills``,
``paging``, ``tracking`` (tickets, wiki pages), ``console`` (sign-ins), ``people``
(names Slack gave), ``status_page`` (what the public was told); ``base`` holds what
every table shares. Importing this package registers every table."""

from bot.store.models.ai import AiRequest, AiTask
from bot.store.models.alerts import AlertDelivery, AlertGroup, AlertRecord
from bot.store.models.base import NAMING_CONVENTION, Base, UTCDateTime, utcnow
from bot.store.models.console import ConsoleSession
from bot.store.models.drills import DrillInject
from bot.store.models.incidents import HandoverRequest, Incident, RoleAssignment, TimelineEvent
from bot.store.models.paging import Page, PagerDelivery
from bot.store.models.people import KnownName
from bot.store.models.reporting import ChainHead, ChainLink, EvidenceRecord, SeriousCase
from bot.store.models.status_page import ComponentImpact, PublicIncident, PublicUpdate
from bot.store.models.tracking import PublishedPage, TrackedAction
from bot.store.models.work import ReceivedRequest, Reminder, SeenRequest, SlackEffect

__all__ = [
    "NAMING_CONVENTION",
    "AiRequest",
    "AiTask",
    "AlertDelivery",
    "AlertGroup",
    "AlertRecord",
    "Base",
    "ChainHead",
    "ChainLink",
    "ComponentImpact",
    "ConsoleSession",
    "DrillInject",
    "EvidenceRecord",
    "HandoverRequest",
    "Incident",
    "KnownName",
    "Page",
    "PagerDelivery",
    "PublicIncident",
    "PublicUpdate",
    "PublishedPage",
    "ReceivedRequest",
    "Reminder",
    "RoleAssignment",
    "SeenRequest",
    "SeriousCase",
    "SlackEffect",
    "TimelineEvent",
    "TrackedAction",
    "UTCDateTime",
    "utcnow",
]
