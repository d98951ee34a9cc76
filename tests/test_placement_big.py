"""Inputs near `claude -p`'s piped-input cap (10,485,760 characters): never a prompt the CLI refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccplugin.claude import runner
from ccplugin.claude.types import FailureKind, Mode, RunSpec
from ccplugin.testing import FakeAnthropic, Scenario, offline_claude_env, reply, structured_output, tool_use
from ccplugin.testing.runner import OfflineClaude
from conftest import git
from helpers import ccplugin, finding, review_output

pytestmark = pytest.mark.real_claude


def _run(claude: str, repo: Path, tmp: Path, prompt: str) -> tuple[runner.RunResult, int]:
    fake = FakeAnthropic(Scenario.of(reply("ok"))).start()
    try:
        env = offline_claude_env(fake, tmp, claude_bin=claude)
        spec = RunSpec(
            prompt=prompt,
            cwd=str(repo),
            mode=Mode.REVIEW,
            model="claude-opus-4-7",
            effort=None,
            max_turns=2,
            timeout=120.0,
        )
        return runner.run(spec, env=env, binary=claude), len(fake.message_requests())
    finally:
        fake.stop()


def test_ccplugin_never_sends_more_than_the_stdin_cap(cc_claude_bin: str, repo: Path, tmp_path: Path) -> None:
    over, asked = _run(cc_claude_bin, repo, tmp_path / "b", "-" + "x" * runner.PROMPT_STDIN_LIMIT)
    assert (over.failure, asked) == (FailureKind.PROMPT_TOO_LONG, 0)
    assert over.failure_detail and "10,485,760" in over.failure_detail
    err = runner.failure_error(over)
    assert "--budget-bytes" in err.fix and "claude -p hi" not in err.fix


def test_the_real_cli_refuses_one_character_more(
    cc_claude_bin: str, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fact the cap stands for: without ccplugin's check the CLI itself fails, with a misleading hint."""
    monkeypatch.setattr(runner, "PROMPT_STDIN_LIMIT", runner.PROMPT_STDIN_LIMIT * 2)
    over, asked = _run(cc_claude_bin, repo, tmp_path, "-" + "x" * 10_485_760)
    assert not over.ok and asked == 0


def test_a_prompt_the_cli_estimates_too_long_is_named(cc_claude_bin: str, repo: Path, tmp_path: Path) -> None:
    """Below the stdin cap the current CLI may still refuse by its token estimate: never `claude -p hi`."""
    r, asked = _run(cc_claude_bin, repo, tmp_path, "-" + "row 1 of a file\n" * 400_000)
    if r.ok:  # the pinned CLI sends it
        assert asked == 1
        return
    assert (r.failure, asked) == (FailureKind.PROMPT_TOO_LONG, 0), r.failure_detail
    assert "claude -p hi" not in runner.failure_error(r).fix


def test_a_budget_over_the_cap_self_collects(repo: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "big.txt").write_text("".join(f"row {i} of a large generated file\n" for i in range(100_000)))
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "big")
    claude = cc_fake_claude(
        [
            reply(tool_use("Bash", {"command": "git diff main -- calc.py"}), turn=0),
            reply(structured_output(review_output(finding("calc.py", 2))), tool_offered="StructuredOutput"),
        ]
    )
    run = ccplugin("review", "--base", "main", "--budget-bytes", "20000000", "--json", cwd=repo, env=claude.env)
    out = run.json()
    assert out["input_mode"] == "self-collect", run.err
    first = claude.fake.message_requests()[0]
    assert "row 99999" not in first.summary.prompt_text
    assert "How to read the change" in first.summary.prompt_text
