"""The layering holds: no surface imports another surface, and the engine imports no surface and no provider.

The surfaces are the Codex plugin (``ccplugin.codex``), the CI runner (``ccplugin.ci``) and the pytest
plugin (``pytest_ccreview``); ``ccplugin.cli`` is the command line every one of them is reached by, so it
may call them, and nothing but ``ccplugin.__main__`` imports it. The CI providers (the protocol, the
registry and each provider package, e.g. ``ccplugin.ci.github``) are plugins of the CI runner: a surface
may ask them about the CI it runs in (the pytest plugin: a fork? the base branch?), and a provider may name
the runner's types it is handed. Everything else is the engine (jobs, review, rescue, claude, git, ...).
Every import counts: top-level, function-local and type-only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
CLI = "ccplugin.cli"
SURFACES = ("ccplugin.codex", "ccplugin.ci", "pytest_ccreview")
PROVIDERS = "providers"
PROVIDER_MODULES = ("ccplugin.ci.provider", "ccplugin.ci.providers", "ccplugin.ci.github")
ENTRY = "ccplugin.__main__"


def layer(module: str) -> str:
    """``cli``, one of :data:`SURFACES`, ``providers`` or ``engine``."""
    if module == ENTRY:
        return CLI
    if any(module == name or module.startswith(name + ".") for name in PROVIDER_MODULES):
        return PROVIDERS
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
            for alias in node.names:  # a submodule (``from ccplugin.ci import providers``), else a name of ``name``
                yield f"{name}.{alias.name}" if _is_module(f"{name}.{alias.name}") else name


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def allowed(importer: str, target: str) -> bool:
    mine, theirs = layer(importer), layer(target)
    if theirs in ("engine", mine):
        return True
    if theirs == PROVIDERS:  # any surface may ask the providers; the engine may not
        return mine in (CLI, *SURFACES)
    if mine == PROVIDERS:  # a provider is the CI runner's plugin: it names the runner's types
        return theirs == "ccplugin.ci"
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
    assert {layer(m) for m, _ in found} == {CLI, *SURFACES, PROVIDERS, "engine"}


@pytest.mark.parametrize(
    ("importer", "target", "ok"),
    [
        ("pytest_ccreview.tracked", "ccplugin.cli.common", False),
        ("ccplugin.ci.github", "ccplugin.cli", False),
        ("ccplugin.codex.stopgate", "pytest_ccreview.shared", False),
        ("ccplugin.jobs.service", "ccplugin.codex.state", False),
        ("ccplugin.rescue.worktree", "ccplugin.ci.github.event", False),
        ("ccplugin.review.target", "ccplugin.ci.providers", False),
        ("pytest_ccreview.controller", "ccplugin.ci.providers", True),
        ("pytest_ccreview.controller", "ccplugin.ci.runner", False),
        ("ccplugin.ci.github.provider", "ccplugin.ci.runner", True),
        ("ccplugin.ci.github.provider", "ccplugin.codex.state", False),
        ("ccplugin.cli.ci", "ccplugin.ci.github", True),
        ("ccplugin.codex.stopgate", "ccplugin.review.job", True),
        ("ccplugin.ci.merge", "ccplugin.ci.github", True),
    ],
)
def test_the_rule(importer: str, target: str, ok: bool) -> None:
    assert allowed(importer, target) is ok


def test_no_surface_imports_another_and_the_engine_imports_none() -> None:
    assert {(m, t) for m, t in edges() if not allowed(m, t)} == set()
