"""``INCIDENTBOT_AI_*``: which model, where, and how much a task may spend.

Parsed here (``bot.config`` calls :func:`parse`) so that the engine owns its settings; a
problem raises ``ValueError`` with a sentence a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

URL = "INCIDENTBOT_AI_URL"
MODEL = "INCIDENTBOT_AI_MODEL"
TOKEN = "INCIDENTBOT_AI_TOKEN"
PRIVATE = "INCIDENTBOT_AI_PRIVATE"

HOW_TO_TURN_ON = (
    "The AI investigator is off: the operator sets INCIDENTBOT_AI_URL (an OpenAI-compatible "
    "API, e.g. http://localhost:11434/v1 for Ollama) and INCIDENTBOT_AI_MODEL (e.g. "
    "llama3.1:8b), with INCIDENTBOT_AI_TOKEN if the API wants one, and restarts the bot."
)


@dataclass(frozen=True)
class AiSettings:
    url: str  # the API's base URL; requests go to {url}/chat/completions
    model: str
    token: str | None = None
    call_seconds: float = 60.0  # one request's deadline
    task_seconds: float = 300.0  # one task's deadline, every request and tool included
    max_tokens: int = 60_000  # tokens (sent and received) one task may spend
    max_tool_calls: int = 12
    request_tokens: int = 8_000  # the most one request may carry (the catch-up fits in it)
    answer_tokens: int = 1_200  # max_tokens asked of each answer
    private_allowed: bool = False  # INCIDENTBOT_AI_PRIVATE=allow

    @property
    def endpoint(self) -> str:
        return self.url.rstrip("/") + "/chat/completions"


def _number(get: Callable[[str], str | None], name: str, default: float, high: float) -> float:
    text = get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= high:
        raise ValueError(
            f"{name} is {text!r}; give a number above 0 and at most {high:g}, e.g. {default:g}."
        )
    return value


def parse(get: Callable[[str], str | None]) -> AiSettings | None:
    """The settings, or None when the investigator is not set up (no URL and no model)."""
    url, model = get(URL), get(MODEL)
    if not url and not model:
        for name in (TOKEN, PRIVATE):
            if get(name):
                raise ValueError(f"{name} is set but {URL} and {MODEL} are not: {HOW_TO_TURN_ON}")
        return None
    if not url or not model:
        missing = MODEL if url else URL
        raise ValueError(
            f"The AI investigator needs {URL} and {MODEL} together; {missing} is unset."
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ValueError(
            f"{URL} {url!r} is not an http(s) base URL; give the API's, e.g. "
            "http://localhost:11434/v1 (requests go to its /chat/completions)."
        )
    private = (get(PRIVATE) or "deny").lower()
    if private not in ("allow", "deny"):
        raise ValueError(f"{PRIVATE} is {private!r}; give allow or deny (the default).")
    default = AiSettings(url, model)
    return AiSettings(
        url=url.rstrip("/"),
        model=model,
        token=get(TOKEN),
        call_seconds=_number(get, "INCIDENTBOT_AI_CALL_SECONDS", default.call_seconds, 600),
        task_seconds=_number(get, "INCIDENTBOT_AI_TASK_SECONDS", default.task_seconds, 3600),
        max_tokens=int(_number(get, "INCIDENTBOT_AI_MAX_TOKENS", default.max_tokens, 10_000_000)),
        max_tool_calls=int(
            _number(get, "INCIDENTBOT_AI_MAX_TOOL_CALLS", default.max_tool_calls, 100)
        ),
        request_tokens=int(
            _number(get, "INCIDENTBOT_AI_REQUEST_TOKENS", default.request_tokens, 2_000_000)
        ),
        private_allowed=private == "allow",
    )
