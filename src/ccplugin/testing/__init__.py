"""Offline testing support: a fake Anthropic Messages API and the real claude pointed at it.

``FakeAnthropic`` serves a :class:`Scenario` on 127.0.0.1; ``offline_claude_env`` builds the
environment that keeps the real ``claude -p`` on that server; ``run_claude`` runs it and keeps
its stream-json events. Pytest fixtures live in ``ccplugin.testing.fixtures``
(``pytest -p ccplugin.testing.fixtures``).
"""

from __future__ import annotations

from ccplugin.testing.env import clean_environ, find_claude_bin, offline_claude_env
from ccplugin.testing.fake_api import FakeAnthropic, LoggedRequest
from ccplugin.testing.messages import RequestSummary, ToolResult
from ccplugin.testing.runner import ClaudeRun, OfflineClaude, run_claude
from ccplugin.testing.scenario import (
    Block,
    Match,
    Rule,
    Scenario,
    as_scenario,
    builtin_scenarios,
    fail,
    reply,
    structured_output,
    text,
    thinking,
    tool_use,
)

__all__ = [
    "Block",
    "ClaudeRun",
    "FakeAnthropic",
    "LoggedRequest",
    "Match",
    "OfflineClaude",
    "RequestSummary",
    "Rule",
    "Scenario",
    "ToolResult",
    "as_scenario",
    "builtin_scenarios",
    "clean_environ",
    "fail",
    "find_claude_bin",
    "offline_claude_env",
    "reply",
    "run_claude",
    "structured_output",
    "text",
    "thinking",
    "tool_use",
]
