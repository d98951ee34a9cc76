"""Run the real ``codex exec`` offline against :class:`~ccplugin.testing.FakeResponses`.

``offline_codex_home`` writes ``$CODEX_HOME/config.toml`` (a custom provider pointed at the
fake, ``wire_api = "responses"``, retries 0, analytics off) and returns the environment that
keeps codex on the fake and out of the real ``$HOME``; ``run_codex_exec`` runs ``codex exec
--json --skip-git-repo-check FLAGS -- PROMPT`` with stdin closed and parses its events.

What the real codex 0.169.0 did against the fake (checked by tests/test_fake_responses.py):

- Only ``POST /v1/responses`` reached the fake (``base_url`` = fake url + ``/v1``), always with
  ``stream: true``; headers ``authorization: Bearer test``, ``originator: codex_exec``,
  ``session-id``, ``thread-id``, ``x-client-request-id`` (the thread id) and
  ``x-codex-turn-metadata`` (session/thread/turn ids, ``thread_source``, ``agent_name``,
  ``sandbox_mode`` …). ``input``: two developer messages (base instructions; skills,
  permissions and the deferred-tools list), a user ``<environment_context>`` (cwd), the prompt.
  A plain run took about 0.6 s; codex prints "Reading additional input from stdin..." even with
  stdin closed but does not wait.
- One reply's items stay consecutive in the next ``input`` (a message, two calls, then both
  outputs), so ``turn`` counts replies; two ``exec_command`` calls in one reply ran in parallel.
- Tool commands see ``CODEX_SESSION_ID`` = ``CODEX_THREAD_ID`` = ``thread.started.thread_id`` and
  ``CODEX_TOOL_CALL_ID`` = the fake's ``call_id``. ``CODEX_SANDBOX_NETWORK_DISABLED=1`` under the
  default sandbox (read-only) and ``workspace-write``, unset under ``danger-full-access``;
  ``CODEX_PERMISSION_PROFILE=:read-only`` only when no ``--sandbox`` is given. Under the
  default sandbox a write in the cwd fails (the rest of the command still runs).
- ``apply_patch`` as a ``custom_tool_call``: a ``file_change`` item, and the output "Success.
  Updated the following files:\nM calc.py".
- With retries 0 an HTTP 500 is one request, rc 1, ``turn.failed`` with codex's own text "We’re
  currently experiencing high demand, …" (the body is ignored); a 400's message is the raw body.
- ``$CODEX_HOME/hooks.json`` hooks are skipped silently unless trusted; with
  ``--dangerously-bypass-hook-trust`` SessionStart (``source: "startup"``) and Stop
  (``last_assistant_message``) ran with ``session_id`` = the thread id, and ``--json`` carried
  two ``error`` items warning about the flag (rc 0).
- Sub-agents with gpt-5.5 and default features: ``spawn_agent`` is not offered; the developer
  text lists the deferred namespace ``multi_agent_v1`` and ``tool_search`` is offered
  (``--enable multi_agent_v1`` is an unknown feature, rc 1). Scripted: ``tool_search_call`` →
  the next input has a ``tool_search_output`` holding the namespace → ``spawn_agent``
  (namespace ``multi_agent_v1``) returns ``{"agent_id", "nickname"}`` → ``wait_agent`` returns
  ``{"status": {id: {"completed": <child's last text>}}, "timed_out": false}`` and a user
  ``<subagent_notification>`` follows. The child's requests carry ``x-openai-subagent:
  collab_spawn`` and ``thread_source: "subagent"``, ``session-id`` = the parent's thread id,
  ``thread-id`` = ``agent_id``, no ``tool_search``, and its prompt is the spawn message. In the
  child's tool commands ``CODEX_SESSION_ID`` = the parent's id, ``CODEX_THREAD_ID`` = agent_id.
  ``--json`` shows ``collab_tool_call`` items (spawn_agent, wait) but not the child's commands.
- ``--enable multi_agent_v2`` offers the ``collaboration`` namespace (``spawn_agent`` …) up
  front instead; the child's first input is an ``agent_message`` ("Message Type: NEW_TASK …"),
  its ``agent_name`` is ``/root/<task_name>``, and the parent later receives an
  ``agent_message`` "FINAL_ANSWER".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ccplugin.testing.cli_run import JsonlRun
from ccplugin.testing.env import (
    clean_environ,
    dead_proxy,
    export_binary,
    find_tool_bin,
    offline_dirs,
    required_binary,
)
from support.fake_responses import FakeResponses

CODEX_BIN_ENV = "CCPLUGIN_CODEX_BIN"
PROVIDER_ID = "ccfake"
KEY_ENV = "CCFAKE_API_KEY"  # the provider's env_key; codex sends "Authorization: Bearer test"
DEFAULT_MODEL = "gpt-5.5"  # in codex's bundled catalog: the real tool set, no fallback warning


class _HasBaseUrl(Protocol):
    @property
    def base_url(self) -> str: ...


def find_codex_bin(env: Mapping[str, str] | None = None, cwd: str | Path | None = None) -> str | None:
    """The codex binary for offline runs.

    ``$CCPLUGIN_CODEX_BIN``, else ``tools/node_modules/.bin/codex`` in ``cwd`` or a parent of
    it, else the same beside this package's source checkout, else ``codex`` on PATH.
    """
    return find_tool_bin("codex", CODEX_BIN_ENV, env, cwd)


def codex_config(base_url: str, model: str = DEFAULT_MODEL) -> str:
    """The ``config.toml`` text that confines codex to the fake at ``base_url``."""
    return "\n".join(
        [
            f"model = {json.dumps(model)}",
            f'model_provider = "{PROVIDER_ID}"',
            "",
            f"[model_providers.{PROVIDER_ID}]",
            'name = "ccplugin fake"',
            f"base_url = {json.dumps(base_url)}",
            'wire_api = "responses"',
            f'env_key = "{KEY_ENV}"',
            "request_max_retries = 0",
            "stream_max_retries = 0",
            "",
            "[analytics]",
            "enabled = false",
            "",
        ]
    )


def offline_codex_home(
    fake: _HasBaseUrl | str,
    tmp_dir: str | Path,
    model: str = DEFAULT_MODEL,
    *,
    codex_bin: str | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Write ``<tmp_dir>/codex-home/config.toml`` for ``fake`` and return the environment.

    ``fake`` is a :class:`FakeResponses` or a base URL ending in ``/v1``. The environment starts
    from ``base`` (default ``os.environ``) without credentials, proxies, ``OPENAI_*``,
    ``ANTHROPIC_*``, ``CODEX_*`` and ``CCPLUGIN_*`` variables, and sets ``CODEX_HOME``,
    ``HOME=<tmp_dir>/home``, ``CCPLUGIN_HOME=<tmp_dir>/state``, the provider key, and a dead
    loopback proxy (``HTTP(S)_PROXY``/``ALL_PROXY`` both cases ``=http://127.0.0.1:9``, ``NO_PROXY``
    both cases ``=127.0.0.1,localhost``) that stops codex's plugin sync and anything else from
    leaving the machine. ``codex_bin`` (default :func:`find_codex_bin`) is exported as
    ``CCPLUGIN_CODEX_BIN`` and its folder put first on PATH.
    """
    dirs = offline_dirs(tmp_dir, "codex-home", "home", "state")
    base_url = fake if isinstance(fake, str) else fake.base_url
    (dirs["codex-home"] / "config.toml").write_text(codex_config(base_url, model), encoding="utf-8")
    env = clean_environ(base)
    env |= {
        "CODEX_HOME": str(dirs["codex-home"]),
        "HOME": str(dirs["home"]),
        "CCPLUGIN_HOME": str(dirs["state"]),
        KEY_ENV: "test",
    }
    env |= dead_proxy()
    export_binary(env, CODEX_BIN_ENV, codex_bin or find_codex_bin())
    return env


@dataclass(frozen=True)
class CodexRun(JsonlRun):
    """One finished ``codex exec --json`` run and its JSONL events."""

    @property
    def thread_id(self) -> str | None:
        """``thread.started``'s id: also the session id hooks and tool commands see."""
        for event in self.of_type("thread.started"):
            return str(event.get("thread_id"))
        return None

    @property
    def ok(self) -> bool:
        """Exit 0, a ``turn.completed`` and no ``turn.failed``."""
        return self.returncode == 0 and bool(self.of_type("turn.completed")) and not self.of_type("turn.failed")

    @property
    def usage(self) -> dict[str, Any] | None:
        done = self.of_type("turn.completed")
        return dict(done[-1].get("usage") or {}) if done else None

    @property
    def error(self) -> dict[str, Any] | None:
        """``turn.failed``'s error, else the last ``error`` event."""
        failed = self.of_type("turn.failed") or self.of_type("error")
        if not failed:
            return None
        last = failed[-1]
        return dict(last.get("error") or last)

    @property
    def final_message(self) -> str | None:
        """The text of the last ``agent_message`` item."""
        messages = self.items("agent_message")
        return str(messages[-1].get("text", "")) if messages else None

    @property
    def commands(self) -> list[dict[str, Any]]:
        """Completed ``command_execution`` items (command, aggregated_output, exit_code, status)."""
        return self.items("command_execution")

    def items(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The items of ``item.completed`` events, of one ``type`` when ``kind`` is given."""
        found = [e.get("item") or {} for e in self.of_type("item.completed")]
        return [i for i in found if kind is None or i.get("type") == kind]


def run_codex_exec(
    prompt: str,
    *flags: str,
    env: Mapping[str, str],
    cwd: str | Path,
    codex_bin: str | None = None,
    timeout: float = 60.0,
) -> CodexRun:
    """``codex exec --json --skip-git-repo-check FLAGS -- PROMPT`` with stdin closed."""
    binary = codex_bin or env.get(CODEX_BIN_ENV) or "codex"
    argv = (binary, "exec", "--json", "--skip-git-repo-check", *flags, "--", prompt)
    return CodexRun.run(argv, env=env, cwd=cwd, timeout=timeout)


@dataclass(frozen=True)
class OfflineCodex:
    """A running fake Responses API plus the environment that points the real codex at it."""

    fake: FakeResponses
    env: dict[str, str]
    root: Path

    @property
    def codex_bin(self) -> str:
        return required_binary(self.env, CODEX_BIN_ENV, "codex")

    @property
    def codex_home(self) -> Path:
        return Path(self.env["CODEX_HOME"])

    def write_hooks(self, hooks: Mapping[str, Any]) -> Path:
        """Write ``$CODEX_HOME/hooks.json`` (``{"hooks": {"Stop": [...]}}``); run with
        ``--dangerously-bypass-hook-trust`` or codex skips these hooks silently."""
        path = self.codex_home / "hooks.json"
        path.write_text(json.dumps(hooks, indent=2), encoding="utf-8")
        return path

    def run(self, prompt: str, *flags: str, cwd: str | Path, timeout: float = 60.0) -> CodexRun:
        return run_codex_exec(prompt, *flags, env=self.env, cwd=cwd, codex_bin=self.codex_bin, timeout=timeout)
