"""This repository's own test support: the fakes and environments only its tests use.

What users test their wiring with ships in :mod:`ccplugin.testing` (the fake Anthropic API, the scenario
language, ``cc_fake_claude``); here are the fake OpenAI Responses API and the offline ``codex exec``
(:mod:`support.fake_responses`, :mod:`support.codex_env`, Codex's tools as reply blocks in
:mod:`support.codex_scenario`), and the fake GitHub REST API (:mod:`support.fake_github`, checked against
the vendored excerpt of GitHub's description in ``github/``). ``tests/`` is on ``sys.path`` (pytest's
rootdir conftest), so tests import ``support.…``.
"""

from __future__ import annotations

from support.codex_env import CodexRun, OfflineCodex, codex_config, find_codex_bin, offline_codex_home, run_codex_exec
from support.codex_scenario import apply_patch, exec_command, spawn_agent, tool_search_call, wait_agent
from support.fake_responses import FakeResponses
from support.responses import ResponsesSummary

__all__ = [
    "CodexRun",
    "FakeResponses",
    "OfflineCodex",
    "ResponsesSummary",
    "apply_patch",
    "codex_config",
    "exec_command",
    "find_codex_bin",
    "offline_codex_home",
    "run_codex_exec",
    "spawn_agent",
    "tool_search_call",
    "wait_agent",
]
