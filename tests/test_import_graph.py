"""The Codex plugin's modules import one another without a cycle, counting function-local imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import ccplugin.codex

PACKAGE = "ccplugin.codex"
FOLDER = Path(ccplugin.codex.__file__).parent


def modules() -> dict[str, Path]:
    return {f"{PACKAGE}.{p.stem}": p for p in FOLDER.glob("*.py") if p.stem != "__init__"}


def imported(tree: ast.AST, known: set[str]) -> Iterator[str]:
    """The package's modules an import anywhere in ``tree`` names (top level, functions, TYPE_CHECKING)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module in known:
                yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known)


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: set(imported(ast.parse(path.read_text()), set(found))) - {name} for name, path in found.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in ``edges`` (its modules in order, the first repeated at the end), else None."""
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> list[str] | None:
        if name in trail:
            return [*trail[trail.index(name) :], name]
        if name in done:
            return None
        for target in sorted(edges.get(name, ())):
            found = visit(target, [*trail, name])
            if found:
                return found
        done.add(name)
        return None

    return next(filter(None, (visit(name, []) for name in sorted(edges))), None)


def test_the_codex_package_has_no_import_cycle() -> None:
    edges = graph()
    assert f"{PACKAGE}.hooks" in edges[f"{PACKAGE}.fasthook"]  # the graph sees function-local imports
    assert cycle(edges) is None, " -> ".join(cycle(edges) or [])


def test_the_cycle_finder_finds_one() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
