"""ruff and mypy stay clean, the layers hold and no module imports itself in a circle
(docs/ARCHITECTURE.md); run here so CI enforces it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A group of its own so the run starts it early: xdist hands out the largest groups
# first and single tests in file order, which left mypy (a cold run: 15-20 s of CPU)
# for the very end, the other workers idle while it ran.
pytestmark = pytest.mark.xdist_group("code-quality")


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "bot", "tests", "migrations"],
        ["ruff", "format", "--check", "bot", "tests", "migrations"],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_clean(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_layer_contracts_hold() -> None:
    """``lint-imports`` checks the contracts in pyproject.toml (the domain never imports
    ``bot.slack``; views never import flows; app, listeners, flows, views in that order)."""
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_import_cycles_not_even_inside_functions() -> None:
    """Every import counts, at the top of a module or inside a function; only imports
    made for type checking are left out, as they never run."""
    import grimp

    graph = grimp.build_graph("bot", exclude_type_checking_imports=True)
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    cycles = [group for group in _strongly_connected(imports) if len(group) > 1]
    assert not cycles, cycles


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (the graph has a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(sorted(group))
    return groups


def test_no_two_modules_of_a_package_nearly_share_a_name() -> None:
    """A reader should not have to guess which of ``triage.py`` and ``triages.py`` holds
    what: within a package, no module's name starts another's or is most of it."""
    from difflib import SequenceMatcher

    close = []
    for package in sorted({path.parent for path in (ROOT / "bot").rglob("*.py")}):
        names = sorted(
            p.stem if p.is_file() else p.name
            for p in package.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
        )
        for i, one in enumerate(names):
            for other in names[i + 1 :]:
                alike = SequenceMatcher(None, one, other).ratio() > 0.75
                if alike or one.startswith(other) or other.startswith(one):
                    close.append(f"{package.relative_to(ROOT)}: {one} / {other}")
    assert not close, close
