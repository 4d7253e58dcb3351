"""The tools a model may call: each a name, a description, a JSON schema for its
arguments and a read-only function. A call for a tool not offered, arguments that are
not JSON or fail the schema, are refused with a sentence that goes back to the model and
into the thread; nothing runs.

The schemas use the part of JSON Schema the Chat Completions API documents for function
parameters (an object of typed properties, ``required``, ``enum``, bounds,
``additionalProperties: false``); :func:`check` enforces exactly that part.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_RESULT_CHARS = 12_000  # a tool's result as sent to the model

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class Refused(Exception):
    """A call that is not run; ``str()`` says why, to the model and in the thread."""


def check(schema: Mapping[str, Any], value: Any, where: str = "arguments") -> None:
    """Raise Refused unless ``value`` fits ``schema`` (the documented subset)."""
    kind = schema.get("type")
    if kind is not None:
        allowed = _TYPES.get(str(kind), ())
        if not isinstance(value, allowed) or (
            kind in ("integer", "number") and isinstance(value, bool)
        ):
            raise Refused(f"{where} must be {'an' if str(kind)[0] in 'aeiou' else 'a'} {kind}")
    if "enum" in schema and value not in schema["enum"]:
        options = ", ".join(json.dumps(v) for v in schema["enum"])
        raise Refused(f"{where} must be one of {options}")
    if isinstance(value, str):
        if len(value) > int(schema.get("maxLength", 10_000)):
            raise Refused(f"{where} is longer than {schema.get('maxLength', 10_000)} characters")
        shortest = int(schema.get("minLength", 0))
        if len(value) < shortest:
            raise Refused(
                f"{where} is empty"
                if not value
                else f"{where} is shorter than {shortest} characters"
            )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise Refused(f"{where} is below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise Refused(f"{where} is above {schema['maximum']}")
    if isinstance(value, list):
        if len(value) > int(schema.get("maxItems", 100)):
            raise Refused(f"{where} has more than {schema.get('maxItems', 100)} items")
        for i, item in enumerate(value):
            check(schema.get("items", {}), item, f"{where}[{i}]")
    if isinstance(value, dict):
        properties: Mapping[str, Any] = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                raise Refused(f"{where} lack {name!r}")
        if schema.get("additionalProperties") is False:
            extra = sorted(set(value) - set(properties))
            if extra:
                raise Refused(f"{where} have {extra[0]!r}, which the tool does not take")
        for name, item in value.items():
            if name in properties:
                check(properties[name], item, f"{name!r}")


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[[dict[str, Any]], Any]  # the arguments (checked) to a JSON-able result
    progress: Callable[[dict[str, Any]], str]  # what the thread says while it runs

    def schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


@dataclass(frozen=True)
class Called:
    """One call as it went: the tool's name, its arguments, its result or refusal."""

    name: str
    arguments: dict[str, Any]
    content: str  # what the model is sent back (role ``tool``)
    refused: str | None = None
    said: str = ""  # the progress line, or the refusal, as the thread shows it

    def record(self) -> dict[str, Any]:
        return {
            "name": self.name[:80],
            "arguments": self.arguments,
            "refused": self.refused,
            "said": self.said,
        }


class ToolSet:
    """The tools offered to one task; only these may run."""

    def __init__(self, tools: Sequence[Tool]) -> None:
        self._tools = {tool.name: tool for tool in tools}

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def schemas(self) -> list[dict[str, Any]]:
        return [tool.schema() for tool in self._tools.values()]

    def parse(self, name: str, raw: Any) -> tuple[Tool, dict[str, Any]]:
        """The tool and its checked arguments, or Refused."""
        tool = self._tools.get(name)
        if tool is None:
            offered = ", ".join(self._tools) or "none"
            raise Refused(
                f"there is no tool {name[:60]!r} here; the tools offered are {offered}, all "
                "read-only"
            )
        try:
            arguments = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw or {})
        except ValueError:
            raise Refused(f"the arguments for {name} are not JSON") from None
        check(tool.parameters, arguments)
        return tool, arguments

    def call(self, name: str, raw: Any, announce: Callable[[str], None] | None = None) -> Called:
        """Run one call (or refuse it); ``announce`` hears the progress line first."""
        try:
            tool, arguments = self.parse(str(name), raw)
        except Refused as refusal:
            said = f"Refused a call to {str(name)[:60]}: {refusal}."
            if announce is not None:
                announce(said)
            return Called(
                str(name), {}, json.dumps({"error": f"refused: {refusal}"}), str(refusal), said
            )
        said = tool.progress(arguments)
        if announce is not None:
            announce(said)
        try:
            result = tool.run(arguments)
        except Refused as refusal:
            return _refused(name, arguments, said, str(refusal))
        except Exception:  # a tool's own failure ends the call, not the task
            log.exception("the tool %s failed", name)
            return _refused(name, arguments, said, "the tool failed; the bot's log has why")
        text = json.dumps(result, ensure_ascii=False, default=str)
        if len(text) > MAX_RESULT_CHARS:
            text = text[:MAX_RESULT_CHARS] + ' … [cut: the result was longer]"'
        return Called(name, arguments, text, None, said)


def _refused(name: str, arguments: dict[str, Any], said: str, why: str) -> Called:
    return Called(
        name, arguments, json.dumps({"error": f"refused: {why}"}), why, f"{said} Refused: {why}."
    )
