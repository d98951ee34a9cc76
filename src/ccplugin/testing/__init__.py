"""Offline testing support: fake model APIs on 127.0.0.1 and the real CLIs pointed at them.

``FakeAnthropic`` serves a :class:`Scenario` as the Anthropic Messages API; ``offline_claude_env``
builds the environment that keeps the real ``claude -p`` on that server; ``run_claude`` runs it
and keeps its stream-json events. ``FakeResponses`` serves the same scenario format as the
OpenAI Responses API; ``offline_codex_home`` writes a ``$CODEX_HOME`` that points the real
``codex exec`` at it; ``run_codex_exec`` runs it and keeps its ``--json`` events. Pytest fixtures
live in ``ccplugin.testing.fixtures`` (``pytest -p ccplugin.testing.fixtures``).
"""

from __future__ import annotations

from ccplugin.testing.codex_env import (
    CodexRun,
    OfflineCodex,
    codex_config,
    find_codex_bin,
    offline_codex_home,
    run_codex_exec,
)
from ccplugin.testing.env import clean_environ, find_claude_bin, offline_claude_env
from ccplugin.testing.fake_api import FakeAnthropic
from ccplugin.testing.fake_responses import FakeResponses
from ccplugin.testing.messages import RequestSummary, ToolResult
from ccplugin.testing.responses import ResponsesSummary
from ccplugin.testing.runner import ClaudeRun, OfflineClaude, run_claude
from ccplugin.testing.scenario import (
    Block,
    Match,
    Rule,
    Scenario,
    apply_patch,
    as_scenario,
    builtin_scenarios,
    custom_tool_call,
    exec_command,
    fail,
    function_call,
    raw_item,
    reply,
    spawn_agent,
    structured_output,
    text,
    thinking,
    tool_search_call,
    tool_use,
    wait_agent,
)
from ccplugin.testing.server import LoggedRequest

__all__ = [
    "Block",
    "ClaudeRun",
    "CodexRun",
    "FakeAnthropic",
    "FakeResponses",
    "LoggedRequest",
    "Match",
    "OfflineClaude",
    "OfflineCodex",
    "RequestSummary",
    "ResponsesSummary",
    "Rule",
    "Scenario",
    "ToolResult",
    "apply_patch",
    "as_scenario",
    "builtin_scenarios",
    "clean_environ",
    "codex_config",
    "custom_tool_call",
    "exec_command",
    "fail",
    "find_claude_bin",
    "find_codex_bin",
    "function_call",
    "offline_claude_env",
    "offline_codex_home",
    "raw_item",
    "reply",
    "run_claude",
    "run_codex_exec",
    "spawn_agent",
    "structured_output",
    "text",
    "thinking",
    "tool_search_call",
    "tool_use",
    "wait_agent",
]
