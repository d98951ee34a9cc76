"""`ccplugin rescue` end to end: the real claude CLI against the fake Anthropic API, real git."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ccplugin.testing import reply, text, tool_use
from ccplugin.testing.runner import OfflineClaude
from helpers import CliRun, ccplugin, without_claude

pytestmark = pytest.mark.real_claude

CALC = "__CWD__/calc.py"


def read_then_edit(final: Any) -> list[Any]:
    """Read calc.py, edit it, then answer with ``final`` (a rule)."""
    edit = {"file_path": CALC, "old_string": "return a + b", "new_string": "return a + b  # checked"}
    return [reply(tool_use("Read", {"file_path": CALC}), turn=0), reply(tool_use("Edit", edit), turn=1), final]


def rescue(repo: Path, claude: OfflineClaude, *args: str) -> CliRun:
    return ccplugin("rescue", *args, cwd=repo, env=claude.env)


def test_write_rescue_edits_the_file_and_lists_it(repo: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(read_then_edit(reply(text("Fixed calc.py: add() is now checked."), turn=2)))
    run = rescue(repo, claude, "--json", "fix", "the", "add", "function")
    assert run.code == 0, run.err
    out = run.json()
    assert "return a + b  # checked" in (repo / "calc.py").read_text()
    assert out["files_changed"] == [{"path": "calc.py", "by_claude": True, "in_git": True}]
    assert (out["state"], out["decision"], out["write"]) == ("completed", "fresh", True)
    assert out["text"] == "Fixed calc.py: add() is now checked."
    assert out["resume_hint"] == f"claude --resume {out['session_id']}"
    assert out["cost_usd"] > 0 and out["job_id"].startswith("rescue-")
    first = claude.fake.message_requests()[0]
    assert "<task>\nfix the add function\n</task>" in first.summary.prompt_text
    assert "Edit" in first.summary.tool_names
    shown = ccplugin("result", out["job_id"], cwd=repo, env=claude.env)
    assert shown.code == 0, shown.err
    assert "calc.py (edited by Claude; changed in git)" in shown.out
    assert f"`claude --resume {out['session_id']}`" in shown.out


def test_resume_continues_the_session_and_fresh_starts_a_new_one(
    repo: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([reply(text("The sign is flipped."), turn=0), reply(text("Applied the fix."))])
    first = rescue(repo, claude, "--json", "investigate why the tests fail").json()
    session = first["session_id"]

    def candidate(task: str) -> dict[str, Any]:
        run = rescue(repo, claude, "--resume-candidate", "--json", task)
        assert run.code == 0, run.err
        return dict(run.json())

    follow_up, restart = candidate("continue the last run"), candidate("start over")
    assert follow_up["available"] and follow_up["candidate"]["claude_session"] == session
    assert follow_up["candidate"]["job_id"] == first["job_id"]
    assert (follow_up["recommendation"], restart["recommendation"]) == ("resume", "fresh")

    resumed = rescue(repo, claude, "--resume", "--json", "apply the top fix from the last run").json()
    assert (resumed["decision"], resumed["resumed_session"], resumed["session_id"]) == ("resume", session, session)
    last = claude.fake.message_requests()[-1].summary
    assert last.turn >= 1 and last.session_id == session
    assert "The sign is flipped." in str(claude.fake.message_requests()[-1].body["messages"])

    by_default = rescue(repo, claude, "--json", "look at the flaky test")
    assert "pass `--resume`" in by_default.err
    default = by_default.json()
    assert default["decision"] == "fresh-default" and default["session_id"] != session
    assert default["resume_candidate"]["job_id"] == resumed["job_id"]

    fresh = rescue(repo, claude, "--fresh", "--json", "re-investigate from scratch").json()
    assert fresh["decision"] == "fresh" and fresh["resume_candidate"] is None
    assert fresh["session_id"] not in (session, default["session_id"])
    assert claude.fake.message_requests()[-1].summary.turn == 0


def test_prompt_file_and_explicit_stdin(repo: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    task = "Investigate 'why' the `add` test fails.\n<notes>two\nlines</notes>\n"
    (repo / "task.md").write_text(task)
    claude = cc_fake_claude([reply(text("Looked; changed nothing."))])
    run = rescue(repo, claude, "--read-only", "--prompt-file", "task.md", "--json")
    assert run.code == 0, run.err
    out = run.json()
    assert out["write"] is False and out["files_changed"] == []
    first = claude.fake.message_requests()[0].summary
    assert task.strip() in first.prompt_text and "do not edit files" in first.prompt_text
    piped = subprocess.run(
        [sys.executable, "-m", "ccplugin", "rescue", "--prompt-file", "-", "--fresh"],
        cwd=repo,
        env=claude.env,
        input="task from stdin",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert "Task: task from stdin" in piped.stdout
    assert "<task>\ntask from stdin\n</task>" in claude.fake.message_requests()[-1].summary.prompt_text


def test_background_rescue_then_status_wait_then_result(repo: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(read_then_edit(reply(text("Patched add()."), turn=2)))
    started = rescue(repo, claude, "--background", "--json", "--model", "sonnet", "--effort", "medium", "fix add")
    assert started.code == 0, started.err
    job_id = started.json()["job_id"]
    waited = ccplugin("status", job_id, "--wait", "--timeout", "60", "--json", cwd=repo, env=claude.env)
    assert waited.code == 0, waited.err
    status = waited.json()
    assert (status["state"], status["kind"], status["effort"]) == ("completed", "rescue", "medium")
    result = ccplugin("result", job_id, cwd=repo, env=claude.env)
    assert result.code == 0, result.err
    assert "# Claude Code Rescue" in result.out and "Patched add()." in result.out
    assert "calc.py (edited by Claude; changed in git)" in result.out
    assert claude.fake.message_requests()[0].body["output_config"] == {"effort": "medium"}


def test_cancel_a_running_write_rescue_keeps_its_partial_edits(repo: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(read_then_edit(reply(text("far too slow"), delay_s=60)))
    job_id = rescue(repo, claude, "--background", "--json", "fix add").json()["job_id"]
    claude.fake.wait_for_messages(3, timeout=30)
    cancelled = ccplugin("cancel", job_id, "--json", cwd=repo, env=claude.env)
    assert cancelled.code == 0, cancelled.err
    assert cancelled.json()["state"] == "cancelled"
    result = ccplugin("result", job_id, cwd=repo, env=claude.env)
    assert result.code == 130, result.err
    assert "CANCELLED — the tree is left as the partial edits left it" in result.out
    assert "## Files changed so far" in result.out and "calc.py (edited by Claude; changed in git)" in result.out
    assert "# checked" in (repo / "calc.py").read_text()


def test_resume_after_a_run_that_saved_no_session_is_refused(repo: Path, tmp_path: Path) -> None:
    env = without_claude({**os.environ, "HOME": str(tmp_path)}, tmp_path)
    failed = ccplugin("rescue", "--json", "fix add", cwd=repo, env=env)
    assert failed.code == 3, failed.err
    assert failed.json()["error"]["kind"] == "claude-missing"
    refused = ccplugin("rescue", "--resume", "go on", cwd=repo, env=env)
    assert refused.code == 2
    assert refused.err.strip().splitlines() == [
        f"ccplugin: error: nothing to resume: no earlier rescue with a saved Claude session in {repo.resolve()}:"
        " start a new one with `--fresh`"
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "empty task"),
        (("   ",), "empty task"),
        (("--prompt-file", "missing.md"), "prompt file missing.md not found"),
        (("--prompt-file", "empty.md"), "empty task"),
        (("--prompt-file", "empty.md", "and", "words"), "given twice"),
        (("--resume", "go", "on"), "nothing to resume"),
        (("--resume", "--fresh", "fix", "it"), "--resume and --fresh contradict"),
        (("--model", "claude opus", "fix"), "invalid model 'claude opus'"),
        (("--effort", "extreme", "fix"), "unknown effort extreme"),
        (("--read-only", "--write", "fix"), "not allowed with argument"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(repo: Path, args: tuple[str, ...], words: str) -> None:
    (repo / "empty.md").write_text("  \n")
    run = ccplugin("rescue", *args, cwd=repo, env=dict(os.environ))
    assert run.code == 2, (run.out, run.err)
    (line,) = run.err.strip().splitlines()
    assert line.startswith("ccplugin: error: ") and words in line


def test_stdin_is_not_read_without_an_explicit_dash(repo: Path) -> None:
    """An open, silent stdin never blocks: the task comes from words or a file only."""
    child = subprocess.Popen(
        [sys.executable, "-m", "ccplugin", "rescue"],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert child.wait(timeout=20) == 2
    finally:
        child.kill()
        child.communicate()


def test_interrupting_a_foreground_rescue_reports_the_partial_edits(
    repo: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude(read_then_edit(reply(text("far too slow"), delay_s=60)))
    child = subprocess.Popen(
        [sys.executable, "-m", "ccplugin", "rescue", "fix add"],
        cwd=repo,
        env=claude.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    claude.fake.wait_for_messages(3, timeout=30)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 130, err
    assert "CANCELLED — the tree is left as the partial edits left it" in out
    assert "calc.py (changed in git)" in out


def test_a_reserved_rescue_runs_under_its_codex_session(repo: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(read_then_edit(reply(text("Done."), turn=2)))
    env = {**claude.env, "CODEX_SESSION_ID": "019a0000-parent-session"}
    job_id = ccplugin("reserve", "--kind", "rescue", "--json", cwd=repo, env=env).json()["job_id"]
    run = ccplugin("rescue", "--job-id", job_id, "fix", "add", cwd=repo, env=env)
    assert run.code == 0, run.err
    assert run.out.rstrip().endswith(f"Background Claude Code rescue finished. Open it with $cc:result {job_id}.")
    status = ccplugin("status", job_id, "--json", cwd=repo, env=env).json()
    assert (status["state"], status["owner"], status["unread"]) == ("completed", "019a0000-parent-session", True)
    assert "# checked" in (repo / "calc.py").read_text()
    other = ccplugin("rescue", "--job-id", job_id, "again", cwd=repo, env={**env, "CODEX_SESSION_ID": "someone-else"})
    assert other.code == 2 and "another Codex session" in other.err
