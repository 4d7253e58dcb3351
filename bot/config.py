"""Settings read from the environment once, at start-up, and validated there.

Every problem is reported as a sentence a person can act on; nothing here
talks to Slack or the database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bot.ai.settings import AiSettings
from bot.ai.settings import parse as parse_ai
from bot.alerts.policy import AlertPolicy, PolicyError, parse_policy
from bot.containment.levers import Lever, LeverError
from bot.containment.levers import load as load_levers
from bot.diagnosis.limits import Limits
from bot.diagnosis.sources.allowed import Places
from bot.net.egress import ALLOW_SETTING, EgressRule
from bot.paging import ladder
from bot.paging.directory import Directory, DirectoryError, Service, default_service
from bot.paging.directory import load as load_directory
from bot.reporting.regimes import RegimeError, ReportingSettings
from bot.reporting.regimes import settings_from as reporting_settings
from bot.statuspage.components import StatusPage, StatusPageError
from bot.statuspage.components import load as load_status_page

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///incidentbot.db"
DEFAULT_STATUS_UPDATE_EVERY = "sev1=30m,sev2=2h,sev3=8h,sev4=0"
DEFAULT_RETENTION = timedelta(days=30)
DEFAULT_CHANNEL_PREFIX = "inc"
DEFAULT_MLFLOW_ALIAS = "champion"
DEFAULT_PAGERDUTY_URL = "https://api.pagerduty.com"
DEFAULT_OPSGENIE_URL = "https://api.opsgenie.com"
DEFAULT_PAGE_SEVERITIES = "sev1,sev2"
DEFAULT_GITHUB_URL = "https://api.github.com"
DEFAULT_JIRA_ISSUE_TYPE = "Task"
DEFAULT_STATUSPAGE_URL = "https://api.statuspage.io"
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
CHANNEL_PREFIX_MAX = 20

_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 1}
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ConfigError(ValueError):
    """The environment does not describe a runnable bot; the message says why."""


@dataclass(frozen=True)
class PagingSettings:
    """One provider (PagerDuty's REST API, or the Opsgenie-shaped alert API), the
    severities that page on their own, which service each model pages, and the ladder."""

    pager: str | None = None  # "pagerduty", "opsgenie", or None: no provider
    pagerduty_token: str | None = None
    pagerduty_from: str | None = None
    pagerduty_url: str = DEFAULT_PAGERDUTY_URL
    webhook_secrets: tuple[str, ...] = ()
    opsgenie_key: str | None = None
    opsgenie_url: str = DEFAULT_OPSGENIE_URL
    severities: frozenset[str] = frozenset({"sev1", "sev2"})
    directory: Directory = field(default_factory=Directory)
    escalate_after: dict[str, timedelta | None] = field(default_factory=dict)
    ladder: tuple[str, ...] = ()
    executive_channel: str | None = None


@dataclass(frozen=True)
class JiraSettings:
    url: str
    email: str
    token: str
    project: str
    issue_type: str = DEFAULT_JIRA_ISSUE_TYPE
    webhook_secret: str | None = None


@dataclass(frozen=True)
class GitHubSettings:
    token: str
    repo: str  # owner/name
    url: str = DEFAULT_GITHUB_URL
    webhook_secret: str | None = None


@dataclass(frozen=True)
class ConfluenceSettings:
    url: str
    email: str
    token: str
    space: str  # the space's key


@dataclass(frozen=True)
class TrackingSettings:
    """Where action items become tickets (Jira or GitHub, one of them) and where
    post-mortems are published (Confluence)."""

    jira: JiraSettings | None = None
    github: GitHubSettings | None = None
    confluence: ConfluenceSettings | None = None

    @property
    def tracker(self) -> str | None:
        return "jira" if self.jira else "github" if self.github else None


@dataclass(frozen=True)
class StatusPageSettings:
    """The public status page (``INCIDENTBOT_STATUS_PAGE``) and, when its three settings
    are given, the Atlassian Statuspage it is copied to."""

    page: StatusPage
    statuspage_token: str | None = None
    statuspage_page_id: str | None = None
    statuspage_url: str = DEFAULT_STATUSPAGE_URL

    @property
    def synced(self) -> bool:
        return bool(self.statuspage_token and self.statuspage_page_id)


@dataclass(frozen=True)
class WebSettings:
    """The console's Sign in with Slack: the Slack app's client, and where the bot is
    reached (the callback is ``{url}/signin/callback``)."""

    client_id: str
    client_secret: str
    url: str

    @property
    def secure(self) -> bool:
        return self.url.startswith("https://")


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    broadcast_channel: str | None = None
    alert_token: str | None = None
    status_update_every: dict[str, timedelta | None] = field(default_factory=dict)
    data_dir: Path | None = None
    channel_prefix: str = DEFAULT_CHANNEL_PREFIX
    alert_policy: AlertPolicy = field(default_factory=AlertPolicy)
    templates_dir: Path | None = None
    # How long delivered alert bodies, finished outbox work, answered requests and webhook
    # deliveries are kept (incidents and their timelines are kept for good).
    retention: timedelta = DEFAULT_RETENTION
    drift_limits: Limits = field(default_factory=Limits)
    drift_queue: int = 5  # analyses waiting at most, besides the one running
    # Buckets and warehouse tables drift and fairness may read (INCIDENTBOT_DATA_BUCKETS…).
    data_places: Places = field(default_factory=Places)
    # Group columns whose values (sex, ethnicity…) are named only in private channels.
    sensitive_columns: tuple[str, ...] = ()
    metrics_token: str | None = None
    # A Slack user group (S…) whose members may steer any incident and decide alert prompts.
    responders: str | None = None
    # The MLflow tracking server whose Model Registry holds the models, and its production alias.
    mlflow_url: str | None = None
    mlflow_token: str | None = None
    mlflow_alias: str = DEFAULT_MLFLOW_ALIAS
    # The team's containment levers (INCIDENTBOT_CONTAINMENT_FILE).
    levers: tuple[Lever, ...] = ()
    # Drills: where they are announced instead of the broadcast channel, how fast their clock
    # runs (2 = twice as fast as the wall clock), and a folder of the team's own scenarios.
    drill_channel: str | None = None
    drill_speed: float = 1.0
    drills_dir: Path | None = None
    paging: PagingSettings = field(default_factory=lambda: PagingSettings())
    # Action items' tracker and the post-mortems' wiki (INCIDENTBOT_JIRA_*, _GITHUB_*,
    # _CONFLUENCE_*): each off unless its settings are given.
    tracking: TrackingSettings = field(default_factory=lambda: TrackingSettings())
    # The web console's Sign in with Slack (INCIDENTBOT_WEB_*): off unless all are set.
    web: WebSettings | None = None
    # Serious-incident reporting (INCIDENTBOT_REPORTING): off unless a regime is named.
    reporting: ReportingSettings = field(default_factory=lambda: ReportingSettings())
    # The public status page (INCIDENTBOT_STATUS_PAGE): unset, no public route exists.
    status_page: StatusPageSettings | None = None
    # How long a request's body may take to arrive, once the bot starts reading it.
    body_seconds: float = 10.0
    # How long a stopped process's claimed work stays its own before another takes it.
    lease_seconds: float = 20.0
    # The AI investigator's model (INCIDENTBOT_AI_*): off unless a URL and a model are set.
    ai: AiSettings | None = None

    def require_slack(self) -> None:
        """Fail with a helpful sentence unless the Slack credentials are present."""
        missing = [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", self.slack_bot_token),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"Missing {' and '.join(missing)}: the bot needs its Slack app's credentials. "
                "Create the app from the manifest printed by "
                "`incidentbot manifest --url https://<your-bot-host>` "
                "(api.slack.com/apps > Create New App > From a manifest), install it to your "
                "workspace, then export SLACK_BOT_TOKEN (Bot User OAuth Token, xoxb-...) and "
                "SLACK_SIGNING_SECRET (Basic Information > Signing Secret)."
            )


def parse_duration(text: str) -> timedelta | None:
    """``30m`` -> 30 minutes, ``0`` -> None (no nudges). Raises ValueError otherwise."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise ValueError(text)
    amount = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    return timedelta(seconds=amount) if amount else None


def _retention(text: str | None) -> timedelta:
    if not text:
        return DEFAULT_RETENTION
    try:
        kept = parse_duration(text)
    except ValueError:
        kept = None
    if kept is None or kept < timedelta(hours=1):
        raise ConfigError(
            f"INCIDENTBOT_RETENTION is {text!r}; give how long to keep delivered alerts, "
            "finished work and answered requests, at least 1h, e.g. 30d or 90d."
        )
    return kept


def parse_status_cadence(text: str) -> dict[str, timedelta | None]:
    """Parse ``sev1=30m,sev2=2h,...``; severities not named keep the default cadence."""
    cadence: dict[str, timedelta | None] = {}
    if text != DEFAULT_STATUS_UPDATE_EVERY:
        cadence.update(parse_status_cadence(DEFAULT_STATUS_UPDATE_EVERY))
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in {"sev1", "sev2", "sev3", "sev4"}:
            raise ConfigError(
                f"INCIDENTBOT_STATUS_UPDATE_EVERY has {part!r}; write it as "
                f"severity=duration pairs, e.g. {DEFAULT_STATUS_UPDATE_EVERY}."
            )
        try:
            cadence[key] = parse_duration(value)
        except ValueError:
            raise ConfigError(
                f"INCIDENTBOT_STATUS_UPDATE_EVERY gives {key} the duration {value.strip()!r}; "
                "use a whole number with s, m, h or d (e.g. 30m, 2h), or 0 for no reminders."
            ) from None
    return cadence


_SIZE = re.compile(r"^(\d+)\s*([kmg]?)b?$")
_SIZE_UNIT = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def _seconds(
    name: str, text: str | None, default: float, low: float = 0.0, high: float = 60.0
) -> float:
    """Seconds above ``low`` and at most ``high``, fractions allowed."""
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = low
    if not low < value <= high:
        raise ConfigError(
            f"{name} is {text!r}; give seconds above {low:g} and at most {high:g}, "
            f"e.g. {default:g}."
        )
    return value


def _whole(name: str, text: str | None, default: int, *, size: bool = False) -> int:
    """A positive whole number (with ``size``: bytes, ``500MB`` and ``2GB`` accepted)."""
    if text is None:
        return default
    match = _SIZE.match(text.strip().lower()) if size else re.match(r"^(\d+)()$", text.strip())
    value = int(match.group(1)) * _SIZE_UNIT[match.group(2)] if match else 0
    if value <= 0:
        example = "a size such as 500MB or 2GB" if size else "a whole number above 0"
        raise ConfigError(f"{name} is {text!r}; give {example}.")
    return value


def _drift_limits(get: Callable[[str], str | None]) -> Limits:
    try:
        rule = EgressRule.parse(get(ALLOW_SETTING))
    except ValueError as bad:
        raise ConfigError(
            f"{ALLOW_SETTING} has {str(bad)!r}, which is neither a CIDR (10.20.0.0/16, "
            "fd00::/8) nor a host name (datalake.internal, or .corp.example for its "
            "subdomains)."
        ) from None
    default = Limits()
    return Limits(
        max_bytes=_whole(
            "INCIDENTBOT_DRIFT_MAX_BYTES",
            get("INCIDENTBOT_DRIFT_MAX_BYTES"),
            default.max_bytes,
            size=True,
        ),
        max_memory=_whole(
            "INCIDENTBOT_DRIFT_MAX_MEMORY",
            get("INCIDENTBOT_DRIFT_MAX_MEMORY"),
            default.max_memory,
            size=True,
        ),
        max_columns=_whole(
            "INCIDENTBOT_DRIFT_MAX_COLUMNS",
            get("INCIDENTBOT_DRIFT_MAX_COLUMNS"),
            default.max_columns,
        ),
        fetch_seconds=float(
            _whole("INCIDENTBOT_FETCH_TIMEOUT", get("INCIDENTBOT_FETCH_TIMEOUT"), 60)
        ),
        egress=rule,
    )


_CHANNEL = re.compile(r"^(#[a-z0-9_-]{1,80}|[CG][A-Z0-9]{2,})$")


def _channel(get: Callable[[str], str | None], name: str, example: str) -> str | None:
    """A channel setting: an ID (C0123ABCD) or a name with '#'."""
    value = get(name)
    if value and not _CHANNEL.match(value):
        raise ConfigError(
            f"{name} {value!r} is neither a channel ID (C0123ABCD) "
            f"nor a channel name starting with '#' ({example})."
        )
    return value


def _data_places(get: Callable[[str], str | None]) -> Places:
    try:
        return Places.parse(
            get("INCIDENTBOT_DATA_BUCKETS"),
            get("INCIDENTBOT_S3_ENDPOINT_URL"),
            get("INCIDENTBOT_WAREHOUSE_URL"),
            get("INCIDENTBOT_WAREHOUSE_TABLES"),
            get("INCIDENTBOT_WAREHOUSE_TIMEOUT"),
        )
    except ValueError as bad:
        raise ConfigError(str(bad)) from None


def _sensitive_columns(text: str | None) -> tuple[str, ...]:
    """``sex,ethnicity, age band``: column names, compared without regard to case."""
    names = tuple(name.strip() for name in (text or "").split(","))
    if text and not all(names):
        raise ConfigError(
            f"INCIDENTBOT_SENSITIVE_COLUMNS {text!r} has an empty name; list column names "
            "joined by commas, e.g. sex,ethnicity."
        )
    return names if text else ()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting. Raises ConfigError with an actionable message."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError(f"SLACK_API_URL must be an http(s) URL, not {api_url!r}.")
    if not api_url.endswith("/"):
        api_url += "/"

    prefix = (get("INCIDENTBOT_CHANNEL_PREFIX") or DEFAULT_CHANNEL_PREFIX).lower()
    if not _PREFIX.match(prefix) or len(prefix) > CHANNEL_PREFIX_MAX:
        raise ConfigError(
            f"INCIDENTBOT_CHANNEL_PREFIX {prefix!r} cannot start a Slack channel name: use up "
            f"to {CHANNEL_PREFIX_MAX} lowercase letters, digits, '-' or '_', e.g. 'inc'."
        )

    data_dir = get("INCIDENTBOT_DATA_DIR")
    data_path: Path | None = None
    if data_dir:
        data_path = Path(data_dir).resolve()
        if not data_path.is_dir():
            raise ConfigError(f"INCIDENTBOT_DATA_DIR {data_dir!r} is not a folder on this machine.")

    templates = get("INCIDENTBOT_TEMPLATES_DIR")
    templates_path: Path | None = None
    if templates:
        templates_path = Path(templates).resolve()
        if not templates_path.is_dir():
            raise ConfigError(
                f"INCIDENTBOT_TEMPLATES_DIR {templates!r} is not a folder on this machine; it "
                "should hold your own postmortem.md.j2 and/or postmortem.html.j2."
            )

    broadcast = _channel(get, "INCIDENTBOT_BROADCAST_CHANNEL", "#incidents")

    try:
        policy = parse_policy(get("INCIDENTBOT_ALERT_SEVERITY"), get("INCIDENTBOT_ALERT_ROUTES"))
    except PolicyError as exc:
        raise ConfigError(str(exc)) from None
    if policy.asks_anywhere() and not broadcast:
        raise ConfigError(
            "INCIDENTBOT_ALERT_ROUTES asks before declaring for some alerts, but "
            "INCIDENTBOT_BROADCAST_CHANNEL is unset: the Declare/Dismiss buttons would have "
            "nowhere to go. Set the broadcast channel, or use '*=declare'."
        )

    responders = get("INCIDENTBOT_RESPONDERS")
    if responders and not re.match(r"^S[A-Z0-9]{2,}$", responders):
        raise ConfigError(
            f"INCIDENTBOT_RESPONDERS {responders!r} is not a Slack user group ID; it starts "
            "with S (S0123ABCD): in Slack, open the group's page and copy its ID from the "
            "menu, or read it from usergroups.list."
        )
    if policy.declares_privately() and not responders:
        raise ConfigError(
            "INCIDENTBOT_ALERT_ROUTES declares some alerts privately, but "
            "INCIDENTBOT_RESPONDERS is unset: a private channel opened by an alert is shown "
            "only to the people invited, and with no person declaring it nobody would be. "
            "Set INCIDENTBOT_RESPONDERS to the user group to invite (S0123ABCD)."
        )

    mlflow_url = get("INCIDENTBOT_MLFLOW_URL")
    if mlflow_url and not mlflow_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"INCIDENTBOT_MLFLOW_URL {mlflow_url!r} is not an http(s) URL; give the tracking "
            "server's address, e.g. https://mlflow.internal:5000."
        )
    alias = get("INCIDENTBOT_MLFLOW_ALIAS") or DEFAULT_MLFLOW_ALIAS
    if not re.match(r"^[A-Za-z0-9_-]{1,255}$", alias):
        raise ConfigError(
            f"INCIDENTBOT_MLFLOW_ALIAS {alias!r} is not a registry alias (letters, digits, "
            "'_' and '-'), e.g. champion."
        )
    levers: tuple[Lever, ...] = ()
    if containment := get("INCIDENTBOT_CONTAINMENT_FILE"):
        try:
            levers = load_levers(Path(containment), env)
        except LeverError as problem:
            raise ConfigError(f"INCIDENTBOT_CONTAINMENT_FILE {containment} {problem}.") from None

    drill_channel = _channel(get, "INCIDENTBOT_DRILL_CHANNEL", "#incident-drills")
    speed_text = get("INCIDENTBOT_DRILL_SPEED") or "1"
    try:
        drill_speed = float(speed_text)
    except ValueError:
        drill_speed = 0.0
    if not 1 <= drill_speed <= 10_000:
        raise ConfigError(
            f"INCIDENTBOT_DRILL_SPEED is {speed_text!r}; give how many times faster than the wall "
            "clock a drill runs, from 1 (real time) up, e.g. 2."
        )
    drills_text = get("INCIDENTBOT_DRILLS_DIR")
    drills_path = Path(drills_text).resolve() if drills_text else None
    if drills_path is not None and not drills_path.is_dir():
        raise ConfigError(
            f"INCIDENTBOT_DRILLS_DIR {drills_text!r} is not a folder on this machine."
        )

    return Settings(
        ai=_ai(get),
        body_seconds=_seconds("INCIDENTBOT_BODY_TIMEOUT", get("INCIDENTBOT_BODY_TIMEOUT"), 10.0),
        lease_seconds=_seconds(
            "INCIDENTBOT_LEASE_SECONDS", get("INCIDENTBOT_LEASE_SECONDS"), 20.0, 2.0, 300.0
        ),
        retention=_retention(get("INCIDENTBOT_RETENTION")),
        paging=_paging(get),
        tracking=_tracking(get),
        web=_web(get),
        reporting=_reporting(get),
        status_page=_status_page(get),
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=api_url,
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        broadcast_channel=broadcast,
        alert_token=get("INCIDENTBOT_ALERT_TOKEN"),
        status_update_every=parse_status_cadence(
            get("INCIDENTBOT_STATUS_UPDATE_EVERY") or DEFAULT_STATUS_UPDATE_EVERY
        ),
        data_dir=data_path,
        channel_prefix=prefix,
        alert_policy=policy,
        templates_dir=templates_path,
        drift_limits=_drift_limits(get),
        drift_queue=_whole("INCIDENTBOT_DRIFT_QUEUE", get("INCIDENTBOT_DRIFT_QUEUE"), 5),
        data_places=_data_places(get),
        sensitive_columns=_sensitive_columns(get("INCIDENTBOT_SENSITIVE_COLUMNS")),
        metrics_token=get("INCIDENTBOT_METRICS_TOKEN"),
        responders=responders,
        mlflow_url=mlflow_url.rstrip("/") if mlflow_url else None,
        mlflow_token=get("INCIDENTBOT_MLFLOW_TOKEN"),
        mlflow_alias=alias,
        levers=levers,
        drill_channel=drill_channel,
        drill_speed=drill_speed,
        drills_dir=drills_path,
    )


def _severity_windows(text: str) -> dict[str, timedelta | None]:
    windows: dict[str, timedelta | None] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        try:
            if not sep or key not in SEVERITIES:
                raise ValueError(part)
            windows[key] = parse_duration(value)
        except ValueError:
            raise ConfigError(
                f"INCIDENTBOT_ESCALATE_AFTER has {part!r}; write severity=duration pairs, e.g. "
                f"{ladder.DEFAULT_WINDOWS} (0 for never)."
            ) from None
    return windows


JIRA_SETTINGS = (
    "INCIDENTBOT_JIRA_URL",
    "INCIDENTBOT_JIRA_EMAIL",
    "INCIDENTBOT_JIRA_TOKEN",
    "INCIDENTBOT_JIRA_PROJECT",
)
GITHUB_SETTINGS = ("INCIDENTBOT_GITHUB_TOKEN", "INCIDENTBOT_GITHUB_REPO")
CONFLUENCE_SETTINGS = (
    "INCIDENTBOT_CONFLUENCE_URL",
    "INCIDENTBOT_CONFLUENCE_EMAIL",
    "INCIDENTBOT_CONFLUENCE_TOKEN",
    "INCIDENTBOT_CONFLUENCE_SPACE",
)


def _together(
    get: Callable[[str], str | None], names: tuple[str, ...], what: str
) -> list[str] | None:
    """All of ``names`` or none; None when none is set."""
    values = [(get(name) or "").strip() for name in names]
    if not any(values):
        return None
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise ConfigError(
            f"{what} needs {', '.join(names)} together; {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} unset."
        )
    return values


def _site(name: str, url: str) -> str:
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{name} must be an http(s) URL, like https://example.atlassian.net, not {url!r}."
        )
    return url


def _tracking(get: Callable[[str], str | None]) -> TrackingSettings:
    jira = github = confluence = None
    if (values := _together(get, JIRA_SETTINGS, "Filing tickets in Jira")) is not None:
        url, email, token, project = values
        if not re.match(r"^[A-Z][A-Z0-9_]{0,254}$", project):
            raise ConfigError(
                f"INCIDENTBOT_JIRA_PROJECT must be a project's key, like FRAUD, not {project!r}."
            )
        jira = JiraSettings(
            _site("INCIDENTBOT_JIRA_URL", url),
            email,
            token,
            project,
            (get("INCIDENTBOT_JIRA_ISSUE_TYPE") or DEFAULT_JIRA_ISSUE_TYPE).strip(),
            get("INCIDENTBOT_JIRA_WEBHOOK_SECRET") or None,
        )
    if (values := _together(get, GITHUB_SETTINGS, "Filing tickets in GitHub Issues")) is not None:
        token, repo = values
        if not re.match(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", repo):
            raise ConfigError(
                f"INCIDENTBOT_GITHUB_REPO must be owner/name, like acme/ml-platform, not {repo!r}."
            )
        github = GitHubSettings(
            token,
            repo,
            _site("INCIDENTBOT_GITHUB_URL", get("INCIDENTBOT_GITHUB_URL") or DEFAULT_GITHUB_URL),
            get("INCIDENTBOT_GITHUB_WEBHOOK_SECRET") or None,
        )
    if jira and github:
        raise ConfigError(
            "Both Jira (INCIDENTBOT_JIRA_*) and GitHub (INCIDENTBOT_GITHUB_*) are set up for "
            "tickets; the bot files action items in one tracker. Unset the one you do not use."
        )
    for tracker, settings, setting in (
        ("Jira", jira, "INCIDENTBOT_JIRA_WEBHOOK_SECRET"),
        ("GitHub", github, "INCIDENTBOT_GITHUB_WEBHOOK_SECRET"),
    ):
        if get(setting) and settings is None:
            configured = "Jira" if jira else "GitHub" if github else "no tracker"
            raise ConfigError(
                f"{setting} is set, but tickets are filed in {configured}, not {tracker}: its "
                f"webhook would be refused. Set {tracker}'s other INCIDENTBOT_"
                f"{tracker.upper()}_* settings too, or unset {setting}."
            )
    if (values := _together(get, CONFLUENCE_SETTINGS, "Publishing to Confluence")) is not None:
        url, email, token, space = values
        confluence = ConfluenceSettings(
            _site("INCIDENTBOT_CONFLUENCE_URL", url), email, token, space
        )
    return TrackingSettings(jira, github, confluence)


def _reporting(get: Callable[[str], str | None]) -> ReportingSettings:
    """INCIDENTBOT_REPORTING's regimes, INCIDENTBOT_REGIMES_DIR, and who reports."""
    try:
        return reporting_settings(
            get("INCIDENTBOT_REPORTING"),
            get("INCIDENTBOT_REGIMES_DIR"),
            get("INCIDENTBOT_PROVIDER_NAME"),
            get("INCIDENTBOT_REPORTING_CONTACT"),
        )
    except RegimeError as problem:
        raise ConfigError(str(problem)) from None


STATUSPAGE_SETTINGS = ("INCIDENTBOT_STATUSPAGE_TOKEN", "INCIDENTBOT_STATUSPAGE_PAGE_ID")


def _status_page(get: Callable[[str], str | None]) -> StatusPageSettings | None:
    """The status page's components, and Atlassian Statuspage when its settings are set."""
    path = get("INCIDENTBOT_STATUS_PAGE")
    synced = _together(get, STATUSPAGE_SETTINGS, "Copying the status page to Statuspage")
    if path is None:
        if synced is not None or get("INCIDENTBOT_STATUSPAGE_URL"):
            raise ConfigError(
                "INCIDENTBOT_STATUSPAGE_* is set but INCIDENTBOT_STATUS_PAGE is not: the bot "
                "copies its own status page to Statuspage, so it needs the components file "
                "(see templates/statuspage.toml) and each component's statuspage_id."
            )
        return None
    try:
        page = load_status_page(Path(path))
    except StatusPageError as problem:
        raise ConfigError(f"INCIDENTBOT_STATUS_PAGE {path} {problem}.") from None
    if synced is None:
        return StatusPageSettings(page)
    token, page_id = synced
    if not re.match(r"^[A-Za-z0-9]{1,40}$", page_id):
        raise ConfigError(
            f"INCIDENTBOT_STATUSPAGE_PAGE_ID {page_id!r} is not a Statuspage page id "
            "(letters and digits, from the page's API info)."
        )
    unmapped = [c.key for c in page.components if not c.statuspage_id]
    if unmapped:
        raise ConfigError(
            f"INCIDENTBOT_STATUS_PAGE {path} has components without a statuspage_id "
            f"({', '.join(unmapped)}), and Statuspage is set up: give each its component id "
            "from Statuspage."
        )
    url = _site(
        "INCIDENTBOT_STATUSPAGE_URL", get("INCIDENTBOT_STATUSPAGE_URL") or DEFAULT_STATUSPAGE_URL
    )
    return StatusPageSettings(page, token, page_id, url)


WEB_SETTINGS = ("INCIDENTBOT_WEB_CLIENT_ID", "INCIDENTBOT_WEB_CLIENT_SECRET", "INCIDENTBOT_WEB_URL")


def _web(get: Callable[[str], str | None]) -> WebSettings | None:
    """The console's settings, all three or none."""
    values = [get(name) for name in WEB_SETTINGS]
    if not any(values):
        return None
    missing = [name for name, value in zip(WEB_SETTINGS, values, strict=True) if not value]
    if missing:
        raise ConfigError(
            f"The web console needs {', '.join(WEB_SETTINGS)} together; {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} unset. The client ID and secret are on "
            "your Slack app's Basic Information page; the URL is where people reach the bot, e.g. https://incidentbot.example.com."
        )
    client_id, secret, url = (str(v) for v in values)
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
        raise ConfigError(
            f"INCIDENTBOT_WEB_URL must be the bot's address, like https://incidentbot.example.com "
            f"(no path), not {url!r}."
        )
    return WebSettings(client_id=client_id, client_secret=secret, url=url)


def _paging(get: Callable[[str], str | None]) -> PagingSettings:
    """The paging settings, checked together: they only make sense as a whole."""
    token, sender = get("INCIDENTBOT_PAGERDUTY_TOKEN"), get("INCIDENTBOT_PAGERDUTY_FROM")
    key = get("INCIDENTBOT_OPSGENIE_KEY")
    if token and key:
        raise ConfigError(
            "Both INCIDENTBOT_PAGERDUTY_TOKEN and INCIDENTBOT_OPSGENIE_KEY are set; the bot "
            "pages through one provider. Unset the one you do not use."
        )
    if token and not (sender and re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", sender)):
        raise ConfigError(
            "INCIDENTBOT_PAGERDUTY_FROM must be the email of the PagerDuty user the bot acts "
            f"as (PagerDuty requires it on every write), not {sender!r}."
        )
    urls = {}
    for name, default in (
        ("INCIDENTBOT_PAGERDUTY_URL", DEFAULT_PAGERDUTY_URL),
        ("INCIDENTBOT_OPSGENIE_URL", DEFAULT_OPSGENIE_URL),
    ):
        url = (get(name) or default).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{name} must be an http(s) URL, not {url!r}.")
        urls[name] = url
    severities = frozenset(
        s.strip().lower()
        for s in (get("INCIDENTBOT_PAGE_SEVERITIES") or DEFAULT_PAGE_SEVERITIES).split(",")
        if s.strip()
    )
    if not severities <= set(SEVERITIES) and severities != {"none"}:
        raise ConfigError(
            f"INCIDENTBOT_PAGE_SEVERITIES names {', '.join(sorted(severities - set(SEVERITIES)))}; "
            "give severities from sev1 to sev4, comma separated (e.g. sev1,sev2), or none."
        )
    pager = "pagerduty" if token else "opsgenie" if key else None
    default_id = get("INCIDENTBOT_PAGERDUTY_SERVICE") if token else get("INCIDENTBOT_OPSGENIE_TEAM")
    drill_id = get("INCIDENTBOT_DRILL_PAGE_SERVICE")
    try:
        paging_file = get("INCIDENTBOT_PAGING_FILE")
        directory = load_directory(
            Path(paging_file) if paging_file else None,
            default_service(default_id),
            Service("drill", drill_id, "the drill's on-call") if drill_id else None,
        )
    except DirectoryError as problem:
        raise ConfigError(
            f"INCIDENTBOT_PAGING_FILE {get('INCIDENTBOT_PAGING_FILE')} {problem}."
        ) from None
    ladder_entries = tuple(
        e.strip() for e in (get("INCIDENTBOT_ESCALATION_LADDER") or "").split(",") if e.strip()
    )
    for entry in ladder_entries:
        if not re.match(r"^[USW][A-Z0-9]{2,}$", entry):
            raise ConfigError(
                f"INCIDENTBOT_ESCALATION_LADDER has {entry!r}; list Slack user IDs (U0123ABCD) "
                "and user group IDs (S0123ABCD), one a level, comma separated."
            )
    executives = _channel(get, "INCIDENTBOT_EXECUTIVE_CHANNEL", "#exec-incidents")
    secrets = tuple(
        s.strip()
        for s in (get("INCIDENTBOT_PAGERDUTY_WEBHOOK_SECRET") or "").split(",")
        if s.strip()
    )
    return PagingSettings(
        pager=pager,
        pagerduty_token=token,
        pagerduty_from=sender,
        pagerduty_url=urls["INCIDENTBOT_PAGERDUTY_URL"],
        webhook_secrets=secrets,
        opsgenie_key=key,
        opsgenie_url=urls["INCIDENTBOT_OPSGENIE_URL"],
        severities=frozenset() if severities == {"none"} else severities,
        directory=directory,
        escalate_after=_severity_windows(
            get("INCIDENTBOT_ESCALATE_AFTER") or ladder.DEFAULT_WINDOWS
        ),
        ladder=ladder_entries,
        executive_channel=executives,
    )


def _ai(get: Callable[[str], str | None]) -> AiSettings | None:
    """INCIDENTBOT_AI_*: the model the AI investigator asks (``bot.ai.settings``)."""
    try:
        return parse_ai(get)
    except ValueError as problem:
        raise ConfigError(str(problem)) from None
