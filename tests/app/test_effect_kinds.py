"""Effect kinds are named in one place each: the ``kind`` of their dataclass in
``bot.app.effect_kinds``. Everything else (enqueueing, settling, recording a refusal,
querying the outbox) goes through the class, so find-usages follows a kind and mypy
checks its payload; a stored name as a string literal anywhere else would not be."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import bot
from bot.app import effect_kinds, effect_table

ROOT = Path(bot.__file__).parent.parent
KINDS = frozenset(effect_kinds.BY_KIND)
# Calls whose argument at this position is an effect (or its class), never its name.
TAKES_AN_EFFECT = {"enqueue": 2, "record_refused": 2, "settle": 2, "refusal_key": 0}


def _sources(*folders: str) -> Iterator[tuple[str, ast.AST]]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text())


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def test_the_table_performs_every_kind_and_only_those() -> None:
    assert {cls.kind for cls in effect_table.TABLE} == KINDS
    assert len(KINDS) >= 35


def test_each_kind_name_is_assigned_once_in_bot_in_its_dataclass() -> None:
    where: dict[str, list[str]] = {}
    for name, tree in _sources("bot"):
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for statement in node.body:
                target, value = None, None
                if isinstance(statement, ast.AnnAssign):
                    target, value = statement.target, statement.value
                elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                    target, value = statement.targets[0], statement.value
                if (
                    isinstance(target, ast.Name)
                    and target.id == "kind"
                    and value is not None
                    and _is_str(value)
                ):
                    assert isinstance(value, ast.Constant)
                    where.setdefault(str(value.value), []).append(f"{name}:{node.name}")
    assert set(where) >= KINDS
    for kind in KINDS:
        assert len(where[kind]) == 1, (kind, where[kind])
        assert where[kind][0].startswith("bot/app/effect_kinds.py:"), (kind, where[kind])


def test_no_effect_is_named_by_a_string_literal() -> None:
    """Not as an argument of enqueue, settle, record_refused or refusal_key; not compared
    with ``SlackEffect.kind`` (or any ``.kind`` when the string is a stored name); not
    as ``SlackEffect(kind=...)`` in bot/ (tests may write rows as the old code did)."""
    found: list[str] = []
    for name, tree in _sources("bot", "tests"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                position = TAKES_AN_EFFECT.get(_called(node) or "")
                if (
                    position is not None
                    and len(node.args) > position
                    and _is_str(node.args[position])
                ):
                    found.append(f"{name}:{node.lineno}")
                if (
                    name.startswith("bot/")
                    and _called(node) == "SlackEffect"
                    and any(k.arg == "kind" and _is_str(k.value) for k in node.keywords)
                ):
                    found.append(f"{name}:{node.lineno}")
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                kind_sides = [s for s in sides if isinstance(s, ast.Attribute) and s.attr == "kind"]
                on_the_outbox = any(
                    isinstance(s.value, ast.Name) and s.value.id == "SlackEffect"
                    for s in kind_sides
                )
                for side in sides:
                    if kind_sides and _is_str(side):
                        assert isinstance(side, ast.Constant)
                        if on_the_outbox or side.value in KINDS:
                            found.append(f"{name}:{node.lineno}")
            if (  # SlackEffect.kind.in_(["post", ...])
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "in_"
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "kind"
                and any(
                    _is_str(e)
                    for arg in node.args
                    for e in (arg.elts if isinstance(arg, ast.List | ast.Tuple | ast.Set) else [])
                )
            ):
                found.append(f"{name}:{node.lineno}")
    assert not found
