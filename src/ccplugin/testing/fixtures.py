"""Pytest fixtures for running the real claude offline against the fake Anthropic API.

Enable with ``pytest -p ccplugin.testing.fixtures`` or ``pytest_plugins =
["ccplugin.testing.fixtures"]`` in a conftest::

    def test_review(cc_fake_claude, tmp_path):
        claude = cc_fake_claude([reply("looks fine")])
        run = claude.run("review this", cwd=tmp_path)
        assert run.ok and claude.fake.message_requests()[0].summary.turn == 0

``claude.env`` is the environment to run your own command with (it calls the same claude).
Fixtures that need the claude binary skip the test when none is found (see
:func:`ccplugin.testing.find_claude_bin`).

Tests that run the real CLI can carry the ``real_claude`` marker this plugin registers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ccplugin.claude.env import BIN_VAR as CLAUDE_BIN_ENV
from ccplugin.testing.env import find_claude_bin, offline_claude_env
from ccplugin.testing.fake_api import FakeAnthropic
from ccplugin.testing.runner import OfflineClaude
from ccplugin.testing.scenario import ScenarioLike

FakeApiFactory = Callable[..., FakeAnthropic]
FakeClaudeFactory = Callable[..., OfflineClaude]


def servers(server: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """Yield a starter for ``server`` fakes; stop every one it started afterwards."""
    started: list[Any] = []

    def start(scenario: ScenarioLike, **kwargs: Any) -> Any:
        fake = server(scenario, **kwargs).start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


def found_or_skip(binary: str | None, name: str, var: str) -> str:
    """``binary``, or skip the test when none was found."""
    if binary is None:
        pytest.skip(f"{name} CLI not found (set {var} or npm install in tools/)")
    return binary


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_claude: drives the real claude CLI against the fake Anthropic API")


@pytest.fixture
def cc_claude_bin() -> str:
    """Path of the claude binary; skips the test when there is none."""
    return found_or_skip(find_claude_bin(), "claude", CLAUDE_BIN_ENV)


@pytest.fixture
def cc_fake_api() -> Iterator[FakeApiFactory]:
    """``cc_fake_api(scenario, **kwargs)`` starts a FakeAnthropic, stopped after the test."""
    yield from servers(FakeAnthropic)


@pytest.fixture
def cc_fake_claude(
    cc_claude_bin: str, cc_fake_api: FakeApiFactory, tmp_path_factory: pytest.TempPathFactory
) -> FakeClaudeFactory:
    """``cc_fake_claude(scenario, retries=0)`` → an :class:`OfflineClaude` (fake, env, run)."""

    def start(scenario: ScenarioLike, *, retries: int = 0) -> OfflineClaude:
        fake = cc_fake_api(scenario)
        root = tmp_path_factory.mktemp("cc-offline")
        env = offline_claude_env(fake, root, claude_bin=cc_claude_bin, retries=retries)
        return OfflineClaude(fake=fake, env=env, root=root)

    return start
