"""Inputs near `claude -p`'s piped-input cap (10,485,760 characters): never a prompt the CLI refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccplugin.claude import runner
from ccplugin.claude.types import FailureKind, Mode, RunSpec
from ccplugin.testing import FakeAnthropic, Scenario, offline_claude_env, reply, structured_output, tool_use
from ccplugin.testing.runner import OfflineClaude
from ccplugin.testing.scenario import fail
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


def _bug_on_feature(repo: Path, rows: int = 0) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    if rows:
        (repo / "big.txt").write_text("".join(f"row {i} of a large generated file\n" for i in range(rows)))
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "big")


_READ_AND_ANSWER = [
    reply(tool_use("Bash", {"command": "git diff main -- calc.py"}), turn=0),
    reply(structured_output(review_output(finding("calc.py", 2))), tool_offered="StructuredOutput"),
]


def test_a_range_over_the_stdin_cap_self_collects_and_the_report_says_so(
    repo: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    _bug_on_feature(repo, rows=300_000)  # an 11 MB range
    claude = cc_fake_claude(_READ_AND_ANSWER)
    run = ccplugin("review", "--base", "main", "--budget-bytes", "20000000", cwd=repo, env=claude.env)
    assert "Input: self-collect" in run.out and "Input: inline" not in run.out, run.out + run.err
    (first,) = claude.fake.message_requests()[:1]
    assert len(first.summary.prompt_text) < runner.PROMPT_STDIN_LIMIT and "row 299999" not in first.summary.prompt_text


def test_an_inlined_diff_the_api_refuses_as_too_long_is_reviewed_self_collect(
    repo: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    """The API's 400 "prompt is too long" on the inlined diff: the review reads it with git, and says so."""
    _bug_on_feature(repo)
    message = "prompt is too long: 215000 tokens > 200000 maximum"
    refuse = fail(400, message, type="invalid_request_error", prompt_contains="\n## Diff\n")
    claude = cc_fake_claude([refuse, *_READ_AND_ANSWER])
    run = ccplugin("review", "--base", "main", "--json", cwd=repo, env=claude.env)
    out = run.json()
    assert (out["input_mode"], out["input"].get("inline_refused")) == ("self-collect", True), run.err
    assert [f["file"] for f in out["review"]["findings"]] == ["calc.py"] and out["error"] is None
    prompts = [r.summary.prompt_text for r in claude.fake.message_requests()]
    assert "\n## Diff\n" in prompts[0] and "How to read the change" in prompts[1]
    assert "too long for `claude -p` to take in one prompt" in prompts[1]
    text = ccplugin("review", "--base", "main", "--no-cache", cwd=repo, env=claude.env)  # the text report too
    assert "Input: self-collect" in text.out and "Input: inline" not in text.out, text.out + text.err
