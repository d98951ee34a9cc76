"""The CI runner drives any provider: a second one, defined here, is one object and nothing else."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ccplugin.ci import runner
from ccplugin.ci.provider import Change
from ccplugin.errors import CCError
from ccplugin.report.select import Selected
from ccplugin.review import engine
from ccplugin.review.outcome import ReviewError, ReviewOutcome
from ccplugin.review.target import BaseHint
from conftest import git


class Local:
    """A CI that names its base in ``LOCAL_BASE`` and publishes to ``LOCAL_OUT``."""

    NAME = "local"
    PLUGINS: tuple[object, ...] = ()

    def __init__(self) -> None:
        self.calls: list[str] = []

    def detects(self, env: Mapping[str, str]) -> bool:
        return "LOCAL_BASE" in env

    def base_hint(self, env: Mapping[str, str]) -> BaseHint | None:
        return BaseHint(env["LOCAL_BASE"], "LOCAL_BASE") if "LOCAL_BASE" in env else None

    def from_fork(self, env: Mapping[str, str]) -> bool:
        return env.get("LOCAL_FORK") == "1"

    def change(self, opts: runner.Options, env: Mapping[str, str]) -> Change:
        fork = self.from_fork(env)
        unsafe = CCError("a fork's code beside secrets", "use the safe pattern") if fork else None
        return Change(env["LOCAL_BASE"], None, fork, unsafe, ReviewError("no-credentials", "no key here"), None)

    def ensure_history(self, root: Path, base: str, change: Change, env: Mapping[str, str]) -> str:
        self.calls.append(f"history {base}")
        return base

    def report(self, outcome: ReviewOutcome, change: Change, opts: Any, env: Mapping[str, str], r: Any) -> None:
        self.calls.append(f"report {outcome.gate.status.value}")

    def notice(self, level: str, line: str, title: str) -> None:
        self.calls.append(f"notice {level}")

    def publish(self, outcome: ReviewOutcome, r: Any, files: Any, env: Mapping[str, str], c: Any, hooks: Any) -> None:
        Path(env["LOCAL_OUT"]).write_text(hooks.render(outcome, "json"))
        self.calls.append("publish")


@pytest.fixture
def branch(repo: Path) -> Path:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "commit", "-qam", "break add")
    return repo


def test_a_second_provider_needs_no_change_to_the_runner(branch: Path, tmp_path: Path) -> None:
    provider = Local()
    env = {"LOCAL_BASE": "main", "LOCAL_OUT": str(tmp_path / "published.json")}
    files = runner.Publish(reports=(Selected("markdown", str(tmp_path / "cc.md")),))
    opts = runner.Options(request=engine.ReviewRequest(cwd=str(branch)), publish=files)
    code = runner.run(provider, opts, env)  # no Anthropic credentials in env: not reviewed, and said so
    assert code == 3
    assert provider.calls == ["history main", "report error", "publish"]
    published = json.loads((tmp_path / "published.json").read_text())
    assert published["gate"]["status"] == "error" and published["error"]["message"] == "no key here"
    assert published["target"]["base_ref"] == "main"
    assert "no key here" in (tmp_path / "cc.md").read_text()


def test_the_runner_refuses_what_the_provider_calls_unsafe(branch: Path) -> None:
    provider = Local()
    opts = runner.Options(request=engine.ReviewRequest(cwd=str(branch)))
    with pytest.raises(CCError, match="a fork's code beside secrets"):
        runner.run(provider, opts, {"LOCAL_BASE": "main", "LOCAL_FORK": "1"})
    assert provider.calls == []
