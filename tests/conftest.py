"""Shared fixtures: every test runs with a temporary HOME and state root, and real git."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ccplugin.testing.fixtures import found_or_skip, servers
from ccplugin.testing.scenario import ScenarioLike
from helpers import CliRun
from support.codex_env import CODEX_BIN_ENV, DEFAULT_MODEL, OfflineCodex, find_codex_bin, offline_codex_home
from support.fake_responses import FakeResponses

_SECRET_OR_HOST_VARS = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CONFIG_DIR",
    "CODEX_SESSION_ID",
    "CODEX_THREAD_ID",
    "CODEX_SANDBOX_NETWORK_DISABLED",
    "CODEX_HOME",
    "GITHUB_BASE_REF",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "OPENAI_API_KEY",
    "CCPLUGIN_CLAUDE_BIN",
)


# the suite runs twice in CI: against the CLIs pinned in tools/package.json, and against the current ones
# (`make test` points these at claude-agent-sdk's bundled claude and tools/current's codex)
_TEST_BINARIES = {"CCPLUGIN_CLAUDE_BIN": "CCPLUGIN_TEST_CLAUDE_BIN", "CCPLUGIN_CODEX_BIN": "CCPLUGIN_TEST_CODEX_BIN"}


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep every test out of the real $HOME and the real job store."""
    home = tmp_path_factory.mktemp("home")
    for var in _SECRET_OR_HOST_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("CCPLUGIN_HOME", str(home / "ccplugin-state"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var, chosen in _TEST_BINARIES.items():
        if os.environ.get(chosen):
            monkeypatch.setenv(var, os.environ[chosen])
    # loopback only: anything that is not told where to go meets a closed local port
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
        monkeypatch.setenv(proxy.lower(), "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test Author")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    yield home


@pytest.fixture
def no_bundled_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process sees a ``claude_agent_sdk`` without its bundled CLI (the wheel is installed for the tests)."""
    import importlib

    shadow = tmp_path / "no-bundled-claude"
    (shadow / "claude_agent_sdk").mkdir(parents=True)
    (shadow / "claude_agent_sdk" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(shadow))
    importlib.invalidate_caches()


def git(cwd: Path, *args: str) -> str:
    """Run real git in a test repo."""
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repo on `main` with one commit holding calc.py."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    git(root, "add", "calc.py")
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def ws(tmp_path: Path) -> str:
    """An empty workspace folder for job-store tests."""
    path = tmp_path / "repo"
    path.mkdir()
    return str(path)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliRun]:
    """``ccplugin ARGS`` in this process (``main([...])``): exit code, stdout and stderr, no subprocess.

    ``cwd`` is the directory the command runs in (default: the test's current directory)."""
    from ccplugin.cli.main import main

    def run(*args: str, cwd: Path | None = None) -> CliRun:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run


CHANGED = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n"
TESTS = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytest project: a committed calc.py with a test, then calc.py changed in the working tree."""
    pytester.makepyfile(calc="def add(a, b):\n    return a + b\n", test_calc=TESTS)
    (pytester.path / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    git(pytester.path, "init", "-q", "-b", "main")
    git(pytester.path, "add", ".")
    git(pytester.path, "commit", "-q", "-m", "initial")
    (pytester.path / "calc.py").write_text(CHANGED)
    return pytester


# --- the real codex against the fake Responses API (this repository's own test support) -----------

FakeResponsesFactory = Callable[..., FakeResponses]
FakeCodexFactory = Callable[..., OfflineCodex]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_codex: drives the real codex CLI against the fake Responses API")


@pytest.fixture
def cc_codex_bin() -> str:
    """Path of the codex binary; skips the test when there is none."""
    return found_or_skip(find_codex_bin(), "codex", CODEX_BIN_ENV)


@pytest.fixture
def cc_fake_responses() -> Iterator[FakeResponsesFactory]:
    """``cc_fake_responses(scenario, **kwargs)`` starts a FakeResponses, stopped after the test."""
    yield from servers(FakeResponses)


@pytest.fixture
def cc_fake_codex(
    cc_codex_bin: str, cc_fake_responses: FakeResponsesFactory, tmp_path_factory: pytest.TempPathFactory
) -> FakeCodexFactory:
    """``cc_fake_codex(scenario, model="gpt-5.5")`` → an :class:`OfflineCodex` (fake, env, run)."""

    def start(scenario: ScenarioLike, *, model: str = DEFAULT_MODEL) -> OfflineCodex:
        fake = cc_fake_responses(scenario)
        root = tmp_path_factory.mktemp("cc-codex")
        env = offline_codex_home(fake, root, model, codex_bin=cc_codex_bin)
        return OfflineCodex(fake=fake, env=env, root=root)

    return start


def env_with(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


pytest_plugins = ["ccplugin.testing.fixtures", "pytester"]


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which real CLIs this run drives (pinned or current)."""
    from ccplugin.testing import find_claude_bin

    lines = []
    for name, var, found in (
        ("claude", "CCPLUGIN_TEST_CLAUDE_BIN", find_claude_bin),
        ("codex", "CCPLUGIN_TEST_CODEX_BIN", find_codex_bin),
    ):
        binary = os.environ.get(var) or found()
        version = _version(binary) if binary else "not found"
        lines.append(f"real {name}: {version} ({binary})")
    return lines


def _version(binary: str) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    return done.stdout.strip() or f"exit {done.returncode}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI the pinned CLIs must be there: a missing binary fails the run instead of skipping."""
    from ccplugin.testing import find_claude_bin

    if os.environ.get("CCPLUGIN_REQUIRE_CLIS") == "1" and find_claude_bin() is None:
        raise pytest.UsageError(
            "CCPLUGIN_REQUIRE_CLIS=1 but tools/node_modules/.bin/claude is missing: run `make setup`"
        )
