"""The cost cap (issue 13 item 6): the real claude CLI against the fake API, whose ``usage`` drives claude's cost.

Prices (claude.prices): Opus 4.5+ $5/$25 per million tokens; a model the table does not know is priced as the
dearest ($15/$75), while claude prices it at $5/$25, so a run on one is stopped by our estimate first.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ccplugin.claude.argv import build_argv
from ccplugin.claude.stream import StreamParser
from ccplugin.claude.types import Mode, RunSpec
from ccplugin.testing import fail, reply, structured_output, tool_use
from ccplugin.testing.runner import OfflineClaude
from conftest import git
from helpers import ccplugin, finding, review_output

pytestmark = pytest.mark.real_claude

# 100k tokens in and out: $3.00 at Opus 4.7's price
DEAR = {"input_tokens": 100_000, "output_tokens": 100_000}
# 10k in and out: $0.30 at claude's price for an unknown model, $0.90 at ours
UNKNOWN_MODEL = "claude-next-1"
TENTH = {"input_tokens": 10_000, "output_tokens": 10_000}


@pytest.fixture
def changed(repo: Path) -> Path:
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n")
    return repo


def answer(**options: Any) -> list[object]:
    return [reply(structured_output(review_output(finding("calc.py", 6))), tool_offered="StructuredOutput", **options)]


def test_claude_stops_itself_at_its_budget_flag_on_this_version(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    """The flag ccplugin passes exists in this claude and ends the run with ``error_max_budget_usd``."""
    claude = cc_fake_claude([reply(tool_use("Read", {"file_path": str(tmp_path / "a")}), usage=DEAR), reply("done")])
    run = claude.run("hi", "--max-budget-usd", "0.5", "--model", "claude-opus-4-7", cwd=tmp_path)
    assert run.result is not None
    assert (run.result["subtype"], run.result["is_error"]) == ("error_max_budget_usd", True)
    assert run.result["total_cost_usd"] == pytest.approx(3.0)
    assert len(claude.fake.message_requests()) == 1


def test_a_review_over_the_cap_is_error_over_budget_and_says_what_it_cost(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude(answer(usage=DEAR))
    run = ccplugin("review", "--max-cost-usd", "0.5", "--fail-on", "high", "--json", cwd=changed, env=claude.env)
    assert run.code == 3, run.err
    out = run.json()
    assert out["gate"]["status"] == "error"
    assert out["error"]["kind"] == "over-budget"
    assert "$0.50" in out["error"]["message"] and "$3.0000" in out["error"]["message"]
    assert out["cost_usd"] == pytest.approx(3.0)
    assert out["review"] is None  # the answer of a stopped run is never used
    assert out["cost_cap"] == {"max_cost_usd": 0.5, "enforced": True, "note": "cap $0.50"}


def test_on_error_pass_exits_zero_but_the_report_still_says_error(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude(answer(usage=DEAR))
    run = ccplugin(
        "review", "--max-cost-usd", "0.5", "--fail-on", "high", "--on-error", "pass", cwd=changed, env=claude.env
    )
    assert run.code == 0, run.err
    assert "Gate: ERROR (not reviewed) — could not review: over-budget: " in run.out
    assert "cost $3.0000" in run.out


def test_the_running_estimate_stops_claude_before_its_next_call(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    """claude prices the unknown model at $0.30 (< the cap): only ccplugin's estimate ($0.90) stops it, mid-run."""
    claude = cc_fake_claude(
        [
            reply(tool_use("Read", {"file_path": str(changed / "calc.py")}), turn=0, usage=TENTH),
            *answer(delay_s=30),  # the next call would hang: claude must be stopped, not awaited
        ]
    )
    started = time.monotonic()
    run = ccplugin(
        "review", "--max-cost-usd", "0.5", "--model", UNKNOWN_MODEL, "--json", "--budget-bytes", "1",
        cwd=changed, env=claude.env,
    )  # fmt: skip
    assert time.monotonic() - started < 20, "claude was waited for, not stopped"
    assert run.code == 3, run.err
    out = run.json()
    assert out["error"]["kind"] == "over-budget"
    assert "(estimated)" in out["error"]["message"] and "$0.9000" in out["error"]["message"]


def test_a_review_under_the_cap_passes_and_shows_the_cap(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([reply(structured_output(review_output()), tool_offered="StructuredOutput", usage=TENTH)])
    run = ccplugin("review", "--max-cost-usd", "5", "--fail-on", "high", cwd=changed, env=claude.env)
    assert run.code == 0, run.err
    assert "Gate: PASS" in run.out
    assert "- Cost cap: cap $5.00" in run.out


def test_on_a_subscription_the_cap_is_not_enforced_and_the_report_says_so(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([reply(structured_output(review_output()), tool_offered="StructuredOutput", usage=DEAR)])
    env = {k: v for k, v in claude.env.items() if k != "ANTHROPIC_API_KEY"}
    env["CLAUDE_CODE_OAUTH_TOKEN"] = "sk-ant-oat01-fake"
    run = ccplugin("review", "--max-cost-usd", "0.5", "--fail-on", "high", "--json", cwd=changed, env=env)
    assert run.code == 0, run.err
    out = run.json()
    assert out["gate"]["status"] == "pass"
    assert out["cost_cap"]["enforced"] is False
    assert out["cost_cap"]["note"] == (
        "cost cap of $0.50 not enforced: claude runs on a subscription login (no per-token price)"
    )


def test_the_cap_is_passed_as_claudes_budget_flag() -> None:
    capped = RunSpec("p", "/repo", Mode.REVIEW, "claude-opus-4-7", None, 4, 60.0, max_cost_usd=0.25)
    argv = build_argv("claude", capped)
    assert argv[argv.index("--max-budget-usd") + 1] == "0.250000"
    assert "--max-budget-usd" not in build_argv("claude", replace(capped, max_cost_usd=None))


def test_the_estimate_counts_each_message_once_whatever_its_blocks() -> None:
    """claude prints one assistant event per content block, each with the whole message's usage."""
    parser = StreamParser()
    message = {"id": "msg_1", "model": "claude-opus-4-7", "usage": DEAR}
    for block in ({"type": "text", "text": "a"}, {"type": "tool_use", "id": "t", "name": "Read", "input": {}}):
        parser.feed(json.dumps({"type": "assistant", "message": {**message, "content": [block]}}).encode() + b"\n")
    assert parser.estimate_usd() == pytest.approx(3.0)
    second = {"id": "msg_2", "model": "claude-sonnet-4-6", "usage": TENTH, "content": []}
    parser.feed(json.dumps({"type": "assistant", "message": second}).encode() + b"\n")
    assert parser.estimate_usd() == pytest.approx(3.0 + 0.03 + 0.15)


def test_the_retry_after_a_refused_inline_diff_runs_under_the_same_cap(
    repo: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    """The first run's 400 "prompt is too long" cost nothing; the self-collect retry gets the cap, and goes over."""
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "commit", "-qam", "bug")
    claude = cc_fake_claude(
        [
            fail(400, "prompt is too long: 215000 tokens", type="invalid_request_error", prompt_contains="\n## Diff\n"),
            reply(tool_use("Bash", {"command": "git diff main -- calc.py"}), turn=0, usage=DEAR),
            *answer(delay_s=30),
        ]
    )
    run = ccplugin("review", "--base", "main", "--max-cost-usd", "0.5", "--json", cwd=repo, env=claude.env)
    out = run.json()
    assert out["input"].get("inline_refused") is True, run.err
    assert out["error"]["kind"] == "over-budget" and "$3.0000" in out["error"]["message"]
    assert len(claude.fake.message_requests()) == 2
