"""Offline testing of your own wiring: the real ``claude`` CLI against a fake Anthropic API on 127.0.0.1.

``FakeAnthropic`` serves a :class:`Scenario` (scripted replies: ``reply``, ``fail``, ``text``,
``tool_use``, ``structured_output`` …) as the Anthropic Messages API; ``offline_claude_env`` builds
the environment that keeps the real ``claude -p`` on that server; ``run_claude`` runs it and keeps its
stream-json events. The pytest fixture ``cc_fake_claude`` lives in ``ccplugin.testing.fixtures``
(``pytest_plugins = ["ccplugin.testing.fixtures"]``). Documented in docs/testing.md; ``ccplugin demo``
runs on the same fake.
"""

from __future__ import annotations

from ccplugin.testing.env import clean_environ, find_claude_bin, offline_claude_env
from ccplugin.testing.fake_api import FakeAnthropic
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
from ccplugin.testing.server import LoggedRequest

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
