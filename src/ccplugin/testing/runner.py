"""Run the real ``claude -p`` offline against a fake API and keep its stream-json events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccplugin.claude.env import BIN_VAR as CLAUDE_BIN_ENV
from ccplugin.testing.cli_run import JsonlRun
from ccplugin.testing.env import required_binary
from ccplugin.testing.fake_api import FakeAnthropic


@dataclass(frozen=True)
class ClaudeRun(JsonlRun):
    """One finished ``claude -p --output-format stream-json --verbose`` run."""

    @property
    def result(self) -> dict[str, Any] | None:
        """The final ``result`` event, if claude printed one."""
        found = self.of_type("result")
        return found[-1] if found else None

    @property
    def ok(self) -> bool:
        """Exit 0 and a result that is not an error (``subtype`` says success even on errors)."""
        return self.returncode == 0 and self.result is not None and not self.result.get("is_error")

    @property
    def session_id(self) -> str | None:
        for event in self.events:
            if event.get("session_id"):
                return str(event["session_id"])
        return None


def run_claude(
    prompt: str,
    *flags: str,
    env: Mapping[str, str],
    cwd: str | Path,
    claude_bin: str | None = None,
    timeout: float = 60.0,
) -> ClaudeRun:
    """``claude -p --output-format stream-json --verbose FLAGS -- PROMPT`` with stdin closed."""
    binary = claude_bin or env.get(CLAUDE_BIN_ENV) or "claude"
    argv = (binary, "-p", "--output-format", "stream-json", "--verbose", *flags, "--", prompt)
    return ClaudeRun.run(argv, env=env, cwd=cwd, timeout=timeout)


@dataclass(frozen=True)
class OfflineClaude:
    """A running fake API plus the environment that points the real claude at it."""

    fake: FakeAnthropic
    env: dict[str, str]
    root: Path

    @property
    def claude_bin(self) -> str:
        return required_binary(self.env, CLAUDE_BIN_ENV, "claude")

    def run(self, prompt: str, *flags: str, cwd: str | Path, timeout: float = 60.0) -> ClaudeRun:
        return run_claude(prompt, *flags, env=self.env, cwd=cwd, claude_bin=self.claude_bin, timeout=timeout)
