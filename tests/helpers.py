"""Helpers shared by the end-to-end tests (real git, the real claude CLI, our fake API)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def ccplugin(*args: str, cwd: Path, env: Mapping[str, str], timeout: float = 120) -> CliRun:
    """Run the installed command line exactly as a user would."""
    done = subprocess.run(
        [sys.executable, "-m", "ccplugin", *args],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def finding(
    file: str, line: int, severity: str = "high", title: str = "Sign flipped", end: int | None = None
) -> dict[str, Any]:
    return {
        "severity": severity,
        "title": title,
        "body": f"{title} at {file}:{line}.",
        "file": file,
        "line_start": line,
        "line_end": end or line,
        "confidence": 0.9,
        "recommendation": "Restore the original operator.",
    }


def review_output(*findings: dict[str, Any], summary: str = "Needs a fix.") -> dict[str, Any]:
    return {
        "verdict": "needs-attention" if findings else "approve",
        "summary": summary,
        "findings": list(findings),
        "next_steps": ["Fix it"] if findings else [],
    }


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (including .git) with its bytes: a byte-identical check."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
