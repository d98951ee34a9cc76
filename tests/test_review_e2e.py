"""`ccplugin review` end to end: the real claude CLI against the fake Anthropic API, real git."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ccplugin.testing import fail, reply, structured_output, text, tool_use
from ccplugin.testing.runner import OfflineClaude
from helpers import (
    ESCAPES,
    ccplugin,
    controls_in,
    finding,
    hostile_finding,
    review_output,
    strings,
    tree_snapshot,
    without_claude,
)

pytestmark = pytest.mark.real_claude


@pytest.fixture
def changed(repo: Path) -> Path:
    """calc.py gains a subtract function with a bug on line 5 (an added line)."""
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n")
    return repo


def structured(*findings: dict[str, object]) -> list[object]:
    return [reply(structured_output(review_output(*findings)), tool_offered="StructuredOutput")]


def test_inline_review_reports_findings_and_gates(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(structured(finding("calc.py", 6), finding("calc.py", 1, "low", "Old naming")))
    run = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=claude.env)
    assert run.code == 1, run.err
    out = run.json()
    assert out["gate"]["status"] == "fail"
    assert out["input_mode"] == "inline"
    assert (out["model"], out["effort"]) == ("claude-opus-4-7[1m]", "xhigh")
    by_title = {f["title"]: f for f in out["review"]["findings"]}
    assert by_title["Sign flipped"]["location"] == "added"
    assert by_title["Old naming"]["location"] == "context"
    assert out["gate"]["gating"] == [by_title["Sign flipped"]["fingerprint"]]
    assert out["cost_usd"] > 0 and out["job_id"].startswith("review-")
    (request,) = claude.fake.message_requests()
    assert "return b - a" in request.summary.prompt_text
    assert request.body["output_config"] == {"effort": "xhigh"}


def test_without_fail_on_a_completed_review_exits_zero(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(structured(finding("calc.py", 6, "critical")))
    run = ccplugin("review", cwd=changed, env=claude.env)
    assert run.code == 0, run.err
    assert "[critical] Sign flipped (calc.py:6)" in run.out
    assert "Gate: off" in run.out
    assert "claude --resume" in run.out


def test_adversarial_review_carries_the_focus(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(structured())
    run = ccplugin(
        "adversarial-review", "--model", "sonnet", "challenge", "the", "retry", "design", cwd=changed, env=claude.env
    )
    assert run.code == 0, run.err
    assert "# Claude Code Adversarial Review" in run.out
    assert "Focus: challenge the retry design" in run.out
    (request,) = claude.fake.message_requests()
    assert "challenge the retry design" in request.summary.prompt_text
    assert "adversarial reviewer" in request.summary.prompt_text
    assert request.body["output_config"] == {"effort": "high"}


def test_over_budget_diff_is_self_collected_with_read_only_git(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude(
        [
            reply(tool_use("Bash", {"command": "git diff HEAD -- calc.py"}), turn=0),
            *structured(finding("calc.py", 6)),
        ]
    )
    run = ccplugin("review", "--budget-bytes", "10", "--json", cwd=changed, env=claude.env)
    assert run.code == 0, run.err
    assert run.json()["input_mode"] == "self-collect"
    first, second = claude.fake.message_requests()
    assert "return b - a" not in first.summary.prompt_text
    (tool_result,) = second.summary.tool_results
    assert "+    return b - a" in tool_result.content


def test_review_is_read_only(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    target = str(changed / "calc.py")
    claude = cc_fake_claude(
        [
            reply(tool_use("Read", {"file_path": target}), turn=0),
            reply(tool_use("Edit", {"file_path": target, "old_string": "b - a", "new_string": "a - b"}), turn=1),
            reply(tool_use("Write", {"file_path": str(changed / "new.py"), "content": "x = 1\n"}), turn=2),
            reply(tool_use("Bash", {"command": f"rm -f {target}"}), turn=3),
            *structured(finding("calc.py", 6)),
        ]
    )
    before = tree_snapshot(changed)
    run = ccplugin("review", "--json", cwd=changed, env=claude.env)
    assert run.code == 0, run.err
    assert tree_snapshot(changed) == before
    denied = [r.content for req in claude.fake.message_requests() for r in req.summary.tool_results if r.is_error]
    assert len(denied) == 3


def test_background_review_then_status_wait_then_result(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(structured(finding("calc.py", 6)))
    started = ccplugin("review", "--background", "--fail-on", "high", "--json", cwd=changed, env=claude.env)
    assert started.code == 0, started.err
    job_id = started.json()["job_id"]
    waited = ccplugin("status", job_id, "--wait", "--timeout", "60", "--json", cwd=changed, env=claude.env)
    assert waited.code == 0, waited.err
    assert (waited.json()["state"], waited.json()["gate"]) == ("completed", "fail")
    result = ccplugin("result", job_id, cwd=changed, env=claude.env)
    assert result.code == 1, result.err
    assert "Gate: FAIL" in result.out and "Sign flipped" in result.out
    latest = ccplugin("result", "--json", cwd=changed, env=claude.env)
    assert latest.json()["job_id"] == job_id


def test_cancel_a_running_background_review(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([reply(text("thinking very slowly"), delay_s=60)])
    job_id = ccplugin("review", "--background", "--json", cwd=changed, env=claude.env).json()["job_id"]
    claude.fake.wait_for_messages(1, timeout=30)
    cancelled = ccplugin("cancel", job_id, "--json", cwd=changed, env=claude.env)
    assert cancelled.code == 0, cancelled.err
    assert cancelled.json()["state"] == "cancelled"
    status = ccplugin("status", job_id, "--json", cwd=changed, env=claude.env).json()
    assert status["state"] == "cancelled"


def test_second_run_on_an_unchanged_diff_is_cached(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(structured(finding("calc.py", 6)))
    first = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=claude.env)
    second = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=claude.env)
    assert (first.code, second.code) == (1, 1)
    assert second.json()["cached"] is True
    assert len(claude.fake.message_requests()) == 1
    forced = ccplugin("review", "--no-cache", "--json", cwd=changed, env=claude.env)
    assert forced.json()["cached"] is False
    assert len(claude.fake.message_requests()) == 2


def test_empty_diff_is_nothing_to_review_not_a_pass(repo: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(structured())
    run = ccplugin("review", "--scope", "working-tree", "--fail-on", "high", "--json", cwd=repo, env=claude.env)
    assert run.code == 4, run.err
    assert run.json()["gate"]["status"] == "nothing"
    assert claude.fake.message_requests() == []


# --- faults: every one ends as gate ERROR with a distinct, named failure, never a pass ------------


@pytest.mark.parametrize(
    ("rules", "kind", "words"),
    [
        ([fail(401)], "auth", "claude auth login"),
        ([fail(529)], "overloaded", "overloaded"),
        ([fail(500)], "api-error", "500"),
        ([reply(text("no structured output, twice"))], "structured-output-missing", "StructuredOutput"),
    ],
)
def test_claude_failures_are_gate_errors(
    changed: Path, cc_fake_claude: type[OfflineClaude], rules: list[object], kind: str, words: str
) -> None:
    claude = cc_fake_claude(rules)
    run = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=claude.env)
    assert run.code == 3, run.err
    out = run.json()
    assert out["gate"]["status"] == "error"
    assert out["error"]["kind"] == kind
    assert words.lower() in (out["error"]["message"] + out["error"]["fix"]).lower()


def test_rate_limit_then_success_retries_and_passes(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([fail(429, times=1), *structured()], retries=1)
    run = ccplugin("review", "--fail-on", "high", cwd=changed, env=claude.env)
    assert run.code == 0, run.err
    assert "Gate: PASS" in run.out
    assert "retrying" in run.err
    assert len(claude.fake.message_requests()) == 2


def test_max_turns_is_a_gate_error(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([reply(tool_use("Read", {"file_path": str(changed / "calc.py")}))])
    run = ccplugin("review", "--max-turns", "2", "--fail-on", "high", "--json", cwd=changed, env=claude.env)
    assert run.code == 3, run.err
    assert run.json()["error"]["kind"] == "max-turns"


def test_hang_past_the_timeout_is_a_gate_error(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([reply(text("late"), delay_s=60)])
    run = ccplugin("review", "--timeout", "3", "--fail-on", "high", "--json", cwd=changed, env=claude.env)
    assert run.code == 3, run.err
    assert run.json()["error"]["kind"] == "timeout"


def test_on_error_pass_exits_zero_but_still_reports_error(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([fail(500)])
    run = ccplugin("review", "--fail-on", "high", "--on-error", "pass", cwd=changed, env=claude.env)
    assert run.code == 0, run.err
    assert "Gate: ERROR" in run.out and "PASS" not in run.out


def test_claude_missing_is_a_gate_error(changed: Path, tmp_path: Path) -> None:
    env = without_claude({"HOME": str(tmp_path), "CCPLUGIN_HOME": str(tmp_path / "s")}, tmp_path)
    run = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=env)
    assert run.code == 3, run.err
    out = run.json()
    assert out["error"]["kind"] == "claude-missing"
    assert "npm install -g @anthropic-ai/claude-code" in out["error"]["fix"]


def test_demo_runs_offline_and_fails_the_gate(tmp_path: Path, cc_claude_bin: str) -> None:
    env = {**os.environ, "CCPLUGIN_CLAUDE_BIN": cc_claude_bin}
    run = ccplugin("demo", cwd=tmp_path, env=env)
    assert run.code == 0, run.err
    assert "[high] Discount percentage applied as a fraction (pricing.py:10)" in run.out
    assert "Gate: FAIL" in run.out
    assert "the gate FAILED (exit 1) as it should" in run.out


def test_the_reviewed_checkout_cannot_run_its_own_claude_hooks(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    marker = changed.parent / "HOOK_RAN"
    (changed / ".claude").mkdir()
    hook = {"hooks": [{"type": "command", "command": f"touch {marker}"}]}
    (changed / ".claude" / "settings.json").write_text(json.dumps({"hooks": {"SessionStart": [hook]}}))
    (changed / ".mcp.json").write_text(json.dumps({"mcpServers": {"x": {"command": "touch", "args": [str(marker)]}}}))
    claude = cc_fake_claude(structured(finding("calc.py", 6)))
    run = ccplugin("review", "--json", cwd=changed, env=claude.env)
    assert run.code == 0, run.err
    assert not marker.exists()


def test_a_self_collect_review_that_never_looked_is_an_error(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude(structured())  # answers at once: no read, no git call
    run = ccplugin("review", "--budget-bytes", "10", "--fail-on", "low", "--json", cwd=changed, env=claude.env)
    assert run.code == 3, run.err
    out = run.json()
    assert (out["gate"]["status"], out["error"]["kind"]) == ("error", "saw-nothing")
    assert out["review"] is None


def test_secrets_the_reviewer_quotes_are_masked_everywhere(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    opaque = "opaque-credential-value-1234"
    leaky = finding("calc.py", 6, title="Key sk-ant-api03-abcdefghijklmnopqrstuvwx in code")
    leaky["body"] = f"The token ghp_abcdefghijklmnopqrstuvwxyz0123456789 and {opaque} are hard-coded."
    claude = cc_fake_claude(structured(leaky))
    env = {**claude.env, "DEPLOY_TOKEN": opaque}
    run = ccplugin("review", "--json", cwd=changed, env=env)
    assert run.code == 0, run.err
    stored = b"".join(p.read_bytes() for p in Path(env["CCPLUGIN_HOME"]).rglob("*") if p.is_file())
    for secret in ("abcdefghijklmnopqrstuvwx", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", opaque):
        assert secret not in run.out
        assert secret.encode() not in stored


def test_interrupting_a_foreground_review_cancels_its_job(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([reply(text("slow"), delay_s=60)])
    child = subprocess.Popen(
        [sys.executable, "-m", "ccplugin", "review", "--json"],
        cwd=changed,
        env=claude.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    claude.fake.wait_for_messages(1, timeout=30)
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=30) == 130
    (job,) = ccplugin("status", "--all", "--json", cwd=changed, env=claude.env).json()["jobs"]
    assert (job["state"], job["error"]) == ("cancelled", "interrupted (^C)")


def test_hostile_output_never_reaches_the_terminal(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    """Escape sequences in the review and in a changed file's name: not in `review`, `result` or `--json` output."""
    evil_name = f"notes{ESCAPES['screen clear']}{ESCAPES['OSC 52 clipboard write']}.txt"
    (changed / evil_name).write_text("hello\n")
    hostile = [hostile_finding("calc.py", 6), hostile_finding("../../../other-org/repo/blob/main/x", 1, "low")]
    output = review_output(*hostile, summary=f"Fine {ESCAPES['carriage return']}")
    claude = cc_fake_claude([reply(structured_output(output), tool_offered="StructuredOutput")])
    run = ccplugin("review", "--fail-on", "high", cwd=changed, env=claude.env)
    assert run.code == 1, run.err
    assert "Gate: FAIL" in run.out and "[high] Sign flipped" in run.out
    assert "- [low] Sign flipped[2J[H ((outside the repository)) · outside_diff" in run.out
    assert "other-org" not in run.out
    assert "notes[2J[H]52;c;ZWNobyBwd25lZA==.txt" in run.out  # the name, shown without its controls
    job_id = ccplugin("status", "--json", cwd=changed, env=claude.env).json()["jobs"][0]["id"]
    shown = ccplugin("result", job_id, cwd=changed, env=claude.env)
    as_json = ccplugin("result", job_id, "--json", cwd=changed, env=claude.env)
    # JSON keeps a file's exact name (escaped, it cannot drive a terminal); the reviewer's text is clean
    for text_out in (run.out, run.err, shown.out, shown.err, *strings(as_json.json()["review"])):
        assert controls_in(text_out) == [], text_out
    assert evil_name in [f["path"] for f in as_json.json()["input"]["files"]]
    assert "\\u001b" in as_json.out
    assert shown.code == 1 and "Gate: FAIL" in shown.out
    files = [f["file"] for f in as_json.json()["review"]["findings"]]
    assert files == ["calc.py", "(outside the repository)"]
