"""Helpers for the Codex plugin tests: the real codex and the real claude, both on loopback fakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ccplugin.codex.layout import Layout
from ccplugin.jobs.store import Job, Store
from ccplugin.testing import FakeAnthropic, find_claude_bin, offline_claude_env
from helpers import CliRun, ccplugin
from support import CodexRun, FakeResponses, find_codex_bin, offline_codex_home
from support.codex_env import PROVIDER_ID, run_codex_exec

CLAUDE_VARS = (
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_API_KEY",
    "CLAUDE_CONFIG_DIR",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
    "DISABLE_AUTOUPDATER",
    "CLAUDE_CODE_MAX_RETRIES",
    "CCPLUGIN_CLAUDE_BIN",
)
NETWORK = ("--sandbox", "workspace-write", "-c", "sandbox_workspace_write.network_access=true")
UNREACHABLE = "http://127.0.0.1:9/v1"
TEST_CODEX_BIN = "CCPLUGIN_TEST_CODEX_BIN"  # tests/conftest.py: the codex CI's second run uses


def codex_env(root: Path, codex_url: str = UNREACHABLE) -> dict[str, str]:
    """An isolated CODEX_HOME (config pointing at ``codex_url``) and state root under ``root``.

    The codex is ``$CCPLUGIN_TEST_CODEX_BIN`` when set: a module-scoped fixture runs before the
    conftest's per-test switch to it, and would otherwise install into the pinned codex.
    """
    return offline_codex_home(codex_url, root / "codex", codex_bin=os.environ.get(TEST_CODEX_BIN) or None)


def with_claude(env: Mapping[str, str], claude: FakeAnthropic, root: Path) -> dict[str, str]:
    """``env`` plus what makes the real claude talk to ``claude`` (the fake Anthropic API)."""
    extra = offline_claude_env(claude, root / "claude")
    out = dict(env) | {k: extra[k] for k in CLAUDE_VARS if k in extra}
    out["PATH"] = extra["PATH"].split(":", 1)[0] + ":" + env["PATH"]
    return out


def install(env: Mapping[str, str], cwd: Path) -> dict[str, Any]:
    run = ccplugin("install", "--json", cwd=cwd, env=env)
    assert run.code == 0, run.err
    report: dict[str, Any] = run.json()
    return report


def launcher(env: Mapping[str, str]) -> str:
    return str(Layout.of(env).launcher)


def codex_exec(env: Mapping[str, str], fake: FakeResponses, prompt: str, *flags: str, cwd: Path) -> CodexRun:
    """``codex exec`` on ``fake`` (the provider's URL set per run, so one install serves many fakes)."""
    url = ("-c", f'model_providers.{PROVIDER_ID}.base_url="{fake.base_url}"')
    return run_codex_exec(prompt, *url, *flags, env=env, cwd=cwd, timeout=120)


def hook(event: str, data: Any, env: Mapping[str, str], cwd: Path, raw: bytes | None = None) -> CliRun:
    """``ccplugin hook EVENT`` with the event's JSON on stdin, as Codex runs it."""
    payload = raw if raw is not None else json.dumps(data).encode()
    done = subprocess.run(
        [sys.executable, "-m", "ccplugin", "hook", event],
        input=payload,
        capture_output=True,
        cwd=cwd,
        env=dict(env),
        timeout=120,
        check=False,
    )
    return CliRun(done.returncode, done.stdout.decode(), done.stderr.decode())


def hooks_log(env: Mapping[str, str]) -> str:
    path = Path(env["CCPLUGIN_HOME"]) / "codex" / "hooks.log"
    return path.read_text() if path.exists() else ""


def jobs(env: Mapping[str, str]) -> list[Job]:
    with Store(Path(env["CCPLUGIN_HOME"])) as store:
        return store.list(None)


def all_input_text(fake: FakeResponses) -> list[str]:
    """Each request's whole body as text (to find what Codex put into the model's context)."""
    return [json.dumps(r.body) for r in fake.response_requests()]


@dataclass(frozen=True)
class Installed:
    """One CODEX_HOME with the plugin installed, shared by the tests of a module."""

    env: dict[str, str]

    def env_for(self, tmp: Path, claude: FakeAnthropic | None = None) -> dict[str, str]:
        """The shared Codex home with a fresh state root (and claude on ``claude``) for one test."""
        env = dict(self.env) | {"CCPLUGIN_HOME": str(tmp / "state")}
        return with_claude(env, claude, tmp) if claude is not None else env


def installed_plugin(tmp_path_factory: pytest.TempPathFactory, folder: str) -> Installed:
    """A temporary CODEX_HOME with the plugin installed; skips without the CLIs."""
    if find_codex_bin() is None or find_claude_bin() is None:
        pytest.skip("the codex and claude CLIs are needed (npm install in tools/)")
    root = tmp_path_factory.mktemp(folder)
    env = codex_env(root)
    install(env, root)
    return Installed(env)


def stopped_after() -> Iterator[list[FakeResponses | FakeAnthropic]]:
    """A list a test appends its fakes to; every one is stopped after the test."""
    started: list[FakeResponses | FakeAnthropic] = []
    yield started
    for fake in started:
        fake.stop()
