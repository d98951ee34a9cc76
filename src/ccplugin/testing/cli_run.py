"""One finished run of a real CLI that prints JSON lines (claude stream-json, codex --json)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from ccplugin import proc


@dataclass(frozen=True)
class JsonlRun:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    events: tuple[dict[str, Any], ...]
    duration_s: float

    @classmethod
    def run(cls, argv: Sequence[str], *, env: Mapping[str, str], cwd: str | Path, timeout: float) -> Self:
        """Run with stdin closed and keep every JSON object line of stdout."""
        started = time.monotonic()
        done = proc.run(argv, cwd=cwd, env=env, timeout=timeout)
        return cls(tuple(argv), done.returncode, done.out, done.err, jsonl(done.out), time.monotonic() - started)

    def of_type(self, kind: str, subtype: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind and (subtype is None or e.get("subtype") == subtype)]


def jsonl(stdout: str) -> tuple[dict[str, Any], ...]:
    events = []
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return tuple(events)
