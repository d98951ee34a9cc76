"""Helpers shared by the end-to-end tests (real git, the real claude CLI, our fake API)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccplugin.jobs.store import Job, Store


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


def without_claude(env: Mapping[str, str], tmp_path: Path) -> dict[str, str]:
    """``env`` on a machine with no Claude Code at all: no ``claude`` on PATH, and a
    ``claude_agent_sdk`` without its bundled CLI shadowing the installed wheel's."""
    shadow = tmp_path / "no-bundled-claude"
    (shadow / "claude_agent_sdk").mkdir(parents=True, exist_ok=True)
    (shadow / "claude_agent_sdk" / "__init__.py").write_text("")
    bare = {k: v for k, v in env.items() if k != "CCPLUGIN_CLAUDE_BIN"}
    return {**bare, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(shadow)}


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


def http_json(
    url: str, payload: Any = None, *, headers: Mapping[str, str], method: str = "POST", timeout: float = 5.0
) -> tuple[int, dict[str, str], bytes]:
    """One JSON request to a fake API: status, lower-cased response headers, raw body (errors too)."""
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    for name, value in headers.items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def sse_events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """A server-sent event stream as (event name, JSON data) pairs."""
    events = []
    for chunk in raw.decode().strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def new_job(store: Store, ws: str, **kw: Any) -> Job:
    """A queued review job in ``ws``; ``kw`` overrides any argument of ``Store.create``."""
    args: dict[str, Any] = {
        "kind": "review",
        "workspace": ws,
        "owner": None,
        "title": "Review",
        "request": {},
        "model": "opus",
        "effort": None,
    }
    return store.create(**(args | kw))


def tools_bin(root: Path, name: str) -> Path:
    """An executable ``root/tools/node_modules/.bin/<name>``, where ``npm install`` in tools/ puts the CLIs."""
    exe = root / "tools" / "node_modules" / ".bin" / name
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    return exe


# -- hostile reviewer output ---------------------------------------------------------------------

# what a terminal, a log viewer or a renderer acts on: C0 but newline and tab, DEL, C1, bidi controls
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
ESCAPES = {
    "screen clear": "\x1b[2J\x1b[H",
    "OSC 52 clipboard write": "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "C1 CSI": "\x9b31m",
    "carriage return": "\rGate: PASS",
    "bidi override": "\u202eevil\u202c",
    "NUL and BEL": "\x00\x07",
}
HOSTILE = "".join(ESCAPES.values())


def hostile_finding(file: str, line: int, severity: str = "high", title: str = "Sign flipped") -> dict[str, Any]:
    """A finding whose every text field carries terminal control sequences (its body does not name ``file``)."""
    return {
        "severity": severity,
        "title": f"{title}{ESCAPES['screen clear']}",
        "body": f"Look here {HOSTILE} and here.",
        "file": file,
        "line_start": line,
        "line_end": line,
        "confidence": 0.9,
        "recommendation": f"Fix it {ESCAPES['OSC 52 clipboard write']}",
    }


def strings(value: Any) -> Iterator[str]:
    """Every string (keys too) in a JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def controls_in(text: str) -> list[str]:
    return sorted(set(CONTROL.findall(text)))


# a test-only reporter plugin: one module plus one entry-point line (docs/plugins.md)
REPORTER = """
from ccplugin.hookspecs import hookimpl


class Shouty:
    name, suffix = "shouty", ".txt"

    def render(self, outcome):
        return outcome.gate.reason.upper()


@hookimpl
def ccplugin_reporters():
    return [Shouty()]
"""


def install_reporter(site: Path, group: str) -> None:
    """A distribution ``shouty`` declaring module ``shouty_reporter`` in ``group``, as pip lays it out."""
    info = site / "shouty-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shouty\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[console_scripts]\nshouty = shouty_reporter:main\n\n[{group}]\nshouty = shouty_reporter\n"
    )
    (site / "shouty_reporter.py").write_text(REPORTER)
