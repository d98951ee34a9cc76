"""`ccplugin failover`: run a command; on failure or stall the real claude (fake API) takes over its task."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccplugin import proc
from ccplugin.rescue.failover import task_of
from ccplugin.testing import fail, reply, text
from ccplugin.testing.runner import OfflineClaude
from helpers import ccplugin

TASK = "make the build green"
# prints, starts a grandchild in its process group, records its pid, then goes silent
STALLER = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen(['sleep', '60'])\n"
    "open(sys.argv[1], 'w').write(str(child.pid))\n"
    "print('working on it', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def fake_codex(tmp_path: Path) -> Path:
    """A `codex` that prints to both streams and exits 1 (the process boundary, not our code)."""
    path = tmp_path / "bin" / "codex"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\necho 'codex: trying'\necho 'codex: model unreachable' >&2\nexit 1\n")
    path.chmod(0o755)
    return path


@pytest.mark.real_claude
def test_a_failing_command_hands_its_task_to_claude(
    repo: Path, fake_codex: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([reply(text("Build fixed."))])
    run = ccplugin("failover", "--", str(fake_codex), "exec", "-m", "gpt-5.5", TASK, cwd=repo, env=claude.env)
    assert run.code == 0, run.err
    assert run.out.startswith("codex: trying\n# Claude Code Rescue\n")
    assert "Build fixed." in run.out
    assert "codex: model unreachable" in run.err
    assert "exited with code 1; handing the task to Claude Code (rescue --fresh --write)" in run.err
    (request,) = claude.fake.message_requests()
    assert f"<task>\n{TASK}\n</task>" in request.summary.prompt_text
    assert "codex: model unreachable" in request.summary.prompt_text
    assert request.body["output_config"] == {"effort": "high"}
    assert request.summary.model.startswith("claude-opus-4-7")


@pytest.mark.real_claude
def test_a_stalled_command_is_stopped_and_claude_takes_over(
    repo: Path, tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([reply(text("Took over."))])
    pid_file = tmp_path / "grandchild.pid"
    started = time.monotonic()
    run = ccplugin(
        *("failover", "--json", "--stall-timeout", "1", "--task", TASK, "--"),
        *(sys.executable, "-c", STALLER, str(pid_file)),
        cwd=repo,
        env=claude.env,
    )
    assert run.code == 0, run.err
    assert time.monotonic() - started < 30
    out = run.json()
    assert (out["failover"]["path"], out["failover"]["stalled"]) == ("stalled", True)
    assert out["rescue"]["text"] == "Took over." and out["exit_code"] == 0
    assert "working on it" in run.err  # with --json the command's stdout goes to stderr
    assert "printed nothing for 1 s; its process group was stopped" in run.err
    assert proc.start_time(int(pid_file.read_text())) is None  # the grandchild went with its group
    (request,) = claude.fake.message_requests()
    assert TASK in request.summary.prompt_text


@pytest.mark.real_claude
def test_a_succeeding_command_needs_no_rescue(repo: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([reply(text("should not be asked"))])
    script = "import sys; print('all good'); print('note', file=sys.stderr)"
    run = ccplugin("failover", "--task", TASK, "--", sys.executable, "-c", script, cwd=repo, env=claude.env)
    assert run.code == 0, run.err
    assert run.out == "all good\n"
    assert run.err.startswith("note\n") and "succeeded; no rescue needed" in run.err
    assert claude.fake.message_requests() == []


@pytest.mark.real_claude
def test_when_the_rescue_fails_too_the_exit_code_is_3(
    repo: Path, fake_codex: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([fail(500)])
    run = ccplugin("failover", "--json", "--", str(fake_codex), "exec", TASK, cwd=repo, env=claude.env)
    assert run.code == 3, run.err
    out = run.json()
    assert out["failover"]["path"] == "failed" and out["failover"]["exit_code"] == 1
    assert out["rescue"]["error"]["kind"] == "api-error" and out["exit_code"] == 3


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--task", TASK), "no command to run"),
        (("--", "make", "test"), "no task to hand over"),
        (("--task", "  ", "--", "true"), "no task to hand over"),
        (("--stall-timeout", "-1", "--task", TASK, "--", "true"), "--stall-timeout must be 0 (off) or positive"),
        (("--model", "a b", "--task", TASK, "--", "true"), "invalid model"),
        (("--task", TASK, "--", "no-such-command-here"), "executable `no-such-command-here` not found"),
    ],
)
def test_bad_input_runs_nothing(repo: Path, args: tuple[str, ...], words: str) -> None:
    run = ccplugin("failover", *args, cwd=repo, env=dict(os.environ))
    assert run.code == 2, (run.out, run.err)
    (line,) = run.err.strip().splitlines()
    assert line.startswith("ccplugin: error: ") and words in line


@pytest.mark.parametrize(
    ("argv", "task"),
    [
        (["codex", "exec", "fix it"], "fix it"),
        (["/opt/bin/codex", "exec", "-m", "o3", "--json", "-s", "workspace-write", "fix it"], "fix it"),
        (["codex", "-c", "model=o3", "exec", "--skip-git-repo-check", "fix it"], "fix it"),
        (["codex", "exec", "--", "-starts with a dash"], "-starts with a dash"),
        (["codex", "e", "short alias"], "short alias"),
        (["codex", "exec", "resume", "--last"], None),
        (["codex", "exec", "-"], None),
        (["codex", "exec"], None),
        (["codex", "review"], None),
        (["make", "test"], None),
    ],
)
def test_task_of_a_codex_exec_command(argv: list[str], task: str | None) -> None:
    assert task_of(argv) == task


@pytest.mark.real_claude
def test_the_example_task_runner(repo: Path, tmp_path: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    """examples/failover/run-tasks.sh: Codex does the easy task; Claude Code takes over the hard one."""
    codex = tmp_path / "codex"
    codex.write_text('#!/bin/sh\ncase "$*" in *hard*) echo "codex: stuck" >&2; exit 1;; esac\necho "codex: done"\n')
    codex.chmod(0o755)
    tasks = tmp_path / "tasks.txt"
    tasks.write_text("# comment\neasy task\n\nhard task\n")
    claude = cc_fake_claude([reply(text("Done the hard one."))])
    path = os.pathsep.join([str(Path(sys.executable).parent), claude.env["PATH"]])
    env = {**claude.env, "PATH": path, "CODEX": str(codex), "LOG_DIR": str(tmp_path / "logs")}
    script = Path(__file__).parents[1] / "examples" / "failover" / "run-tasks.sh"
    done = proc.run([str(script), str(tasks)], cwd=repo, env=env, timeout=120)
    assert done.returncode == 0, done.err
    assert "== task 1: easy task\n   done by Codex\n" in done.out
    assert "== task 2: hard task\n   done by Claude Code after Codex failed" in done.out
    assert done.out.endswith("2 task(s), 0 not done\n")
    (request,) = claude.fake.message_requests()
    assert "<task>\nhard task\n</task>" in request.summary.prompt_text


def test_sigterm_stops_the_wrapped_command_group(repo: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    argv = [sys.executable, "-m", "ccplugin", "failover", "--stall-timeout", "0", "--task", TASK, "--"]
    child = subprocess.Popen(
        [*argv, sys.executable, "-c", STALLER, str(pid_file)],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.05)
    child.terminate()
    _, err = child.communicate(timeout=20)
    assert child.returncode == 130, err
    assert proc.start_time(int(pid_file.read_text())) is None
