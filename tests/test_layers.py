"""The layering holds: no surface imports another surface, and the engine imports no surface.

The surfaces are the Codex plugin (``ccplugin.codex``), the CI runner (``ccplugin.ci``) and the pytest
plugin (``pytest_ccreview``); ``ccplugin.cli`` is the command line every one of them is reached by, so it
may call them, and nothing but ``ccplugin.__main__`` imports it. Everything else is the engine (jobs,
review, rescue, claude, git, ...). Every import counts: top-level, function-local and type-only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
CLI = "ccplugin.cli"
SURFACES = ("ccplugin.codex", "ccplugin.ci", "pytest_ccreview")
ENTRY = "ccplugin.__main__"
# known edges another branch of issue 12 removes: (importer, imported) -> why it is still here
PENDING = {
    ("pytest_ccreview.controller", "ccplugin.ci.event"): "the CI provider protocol (issue 12 item 2) replaces it",
}


def layer(module: str) -> str:
    """``cli``, one of :data:`SURFACES`, or ``engine``."""
    if module == ENTRY:
        return CLI
    for name in (CLI, *SURFACES):
        if module == name or module.startswith(name + "."):
            return name
    return "engine"


def module_of(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module (and ``from`` name) the source imports, relative imports resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
            name = ".".join([*base, node.module] if node.level else [node.module or ""]).strip(".")
            yield name
            yield from (f"{name}.{alias.name}" for alias in node.names)


def allowed(importer: str, target: str) -> bool:
    mine, theirs = layer(importer), layer(target)
    if theirs in ("engine", mine):
        return True
    return mine == CLI and theirs in SURFACES  # the command line reaches every surface


def edges() -> Iterator[tuple[str, str]]:
    for path in sorted(SRC.rglob("*.py")):
        module = module_of(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target in imported(tree, module, path.name == "__init__.py"):
            yield module, target


def test_the_walk_sees_the_packages_and_their_imports() -> None:
    found = set(edges())
    assert ("ccplugin.cli.review", "ccplugin.review.engine") in found
    assert ("ccplugin.__main__", "ccplugin.cli.main") in found
    assert {layer(m) for m, _ in found} == {CLI, *SURFACES, "engine"}


@pytest.mark.parametrize(
    ("importer", "target", "ok"),
    [
        ("pytest_ccreview.tracked", "ccplugin.cli.common", False),
        ("ccplugin.ci.github", "ccplugin.cli", False),
        ("ccplugin.codex.stopgate", "pytest_ccreview.shared", False),
        ("ccplugin.jobs.service", "ccplugin.codex.state", False),
        ("ccplugin.rescue.worktree", "ccplugin.ci.event", False),
        ("ccplugin.cli.ci", "ccplugin.ci.github", True),
        ("ccplugin.codex.stopgate", "ccplugin.review.job", True),
        ("ccplugin.ci.merge", "ccplugin.ci.github", True),
    ],
)
def test_the_rule(importer: str, target: str, ok: bool) -> None:
    assert allowed(importer, target) is ok


def test_no_surface_imports_another_and_the_engine_imports_none() -> None:
    wrong = {(m, t) for m, t in edges() if not allowed(m, t)}
    pending = {(m, t) for m, t in wrong if any(m == a and (t == b or t.startswith(b + ".")) for a, b in PENDING)}
    assert wrong - pending == set()
    assert {(a, b) for a, b in PENDING if not any(m == a and t.startswith(b) for m, t in pending)} == set(), (
        "a pending edge is gone: drop it from PENDING"
    )
