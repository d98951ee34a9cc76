"""Codex's own tools as reply blocks of the scenario language, for the fake Responses API.

Shorthands over :func:`ccplugin.testing.scenario.function_call`, ``custom_tool_call`` and ``raw_item``:
only this repository's Codex tests use them.
"""

from __future__ import annotations

from typing import Any

from ccplugin.testing.scenario import Block, custom_tool_call, function_call, raw_item


def exec_command(cmd: str, **arguments: Any) -> Block:
    """Codex's shell tool: ``exec_command {"cmd": cmd, …}`` (``workdir``, ``yield_time_ms`` …)."""
    return function_call("exec_command", {"cmd": cmd, **arguments})


def apply_patch(patch: str) -> Block:
    """Codex's freeform ``apply_patch`` tool; ``patch`` runs from ``*** Begin Patch`` to ``*** End Patch``."""
    return custom_tool_call("apply_patch", patch)


def tool_search_call(query: str, limit: int = 8, *, call_id: str = "call_tool_search") -> Block:
    """Codex's client-side ``tool_search``: reveals deferred tools (``multi_agent_v1``) to the next request."""
    arguments = {"query": query, "limit": limit}
    item = {"type": "tool_search_call", "call_id": call_id, "status": "completed", "execution": "client"}
    return raw_item(item | {"id": f"tsc_{call_id}", "arguments": arguments})


def spawn_agent(message: str, namespace: str = "multi_agent_v1", **arguments: Any) -> Block:
    """Codex's ``spawn_agent`` (v1: its output is ``{"agent_id", "nickname"}``).

    With ``namespace="collaboration"`` (``--enable multi_agent_v2``) pass ``task_name`` too.
    """
    return function_call("spawn_agent", {"message": message, **arguments}, namespace=namespace)


def wait_agent(target: str = "__OUT:agent_id__", timeout_ms: int = 30000, namespace: str = "multi_agent_v1") -> Block:
    """Codex's v1 ``wait_agent`` on ``target`` (default: the agent the last ``spawn_agent`` started)."""
    return function_call("wait_agent", {"targets": [target], "timeout_ms": timeout_ms}, namespace=namespace)
