"""What ``ccplugin.testing`` ships is what docs/testing.md documents, and nothing shipped needs the tests' support."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import ccplugin
import ccplugin.testing

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(ccplugin.__file__).resolve().parents[1]


def documented_names() -> set[str]:
    page = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    table = page.split("## The public names", 1)[1]
    return {
        name
        for row in table.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`(\w+)`", row.split("|")[1])
    }


def test_the_public_names_are_the_documented_ones() -> None:
    assert documented_names() == set(ccplugin.testing.__all__)
    assert all(hasattr(ccplugin.testing, name) for name in ccplugin.testing.__all__)


def test_no_shipped_module_imports_the_tests_support() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(SRC)}: {n}" for n in names if n.split(".")[0] in ("support", "tests")]
    assert offenders == []
