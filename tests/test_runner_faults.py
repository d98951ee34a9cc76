"""Faults the real CLI cannot be made to produce, through fake `claude` executables.

Each fake is a small Python script written to tmp_path; it prints stream-json lines (or
garbage), crashes, hangs or leaves children behind, and the runner must name what happened.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from ccplugin import proc
from ccplugin.claude import runner
from ccplugin.claude.runner import failure_error, run
from ccplugin.claude.types import ClaudeFailure, Event, FailureKind, Mode, RunSpec

PRELUDE = f"""#!{sys.executable}
import json, os, signal, subprocess, sys, time
if sys.argv[1:] == ["--version"]:  # like the real CLI (the runner asks once per binary)
    print("2.1.197 (Claude Code)")
    sys.exit(0)
SID = "11111111-2222-4333-8444-555555555555"
def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\\n")
    sys.stdout.flush()
def init():
    emit({{"type": "system", "subtype": "init", "session_id": SID, "model": "fake-model"}})
def say(text):
    content = [{{"type": "text", "text": text}}]
    emit({{"type": "assistant", "message": {{"content": content}}, "session_id": SID,
          "parent_tool_use_id": None}})
def result(**kw):
    base = {{"type": "result", "subtype": "success", "is_error": False, "num_turns": 1,
            "result": "fake answer", "session_id": SID, "total_cost_usd": 0.01,
            "usage": {{"input_tokens": 3, "output_tokens": 4}}, "permission_denials": []}}
    base.update(kw)
    emit(base)
def child(hold_pipes=False):
    out = None if hold_pipes else subprocess.DEVNULL
    c = subprocess.Popen(["sleep", "300"], stdout=out, stderr=out)
    with open(os.environ["FAKE_CHILD_PID"], "w") as f:
        f.write(str(c.pid))
"""
HANGS_WITH_A_CHILD = """
    child()
    init()
    time.sleep(300)
"""


@pytest.fixture
def fake(tmp_path: Path) -> Any:
    def write(body: str) -> str:
        path = tmp_path / "claude"
        path.write_text(PRELUDE + textwrap.dedent(body))
        path.chmod(0o755)
        return str(path)

    return write


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "FAKE_CHILD_PID": str(tmp_path / "child.pid"),
        "FAKE_OUT": str(tmp_path / "fake-out.json"),
    }


def spec(cwd: Path, **kw: Any) -> RunSpec:
    fields: dict[str, Any] = {
        "prompt": "review the change",
        "cwd": str(cwd),
        "mode": Mode.REVIEW,
        "model": "fake-model",
        "effort": None,
        "max_turns": 3,
        "timeout": 20.0,
    }
    fields.update(kw)
    return RunSpec(**fields)


def child_pid(env: dict[str, str]) -> int:
    path = Path(env["FAKE_CHILD_PID"])
    deadline = time.monotonic() + 5
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, "the fake never started its child"
        time.sleep(0.02)
    return int(path.read_text())


def gone(pid: int, within: float = 3.0) -> bool:
    """The process is dead (a zombie awaiting its new parent counts as dead)."""
    deadline = time.monotonic() + within
    while proc.start_time(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_clean_run(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        with open(os.environ["FAKE_OUT"], "w") as f:
            json.dump(sys.argv[1:], f)
        init()
        say("looking")
        emit({"type": "assistant", "message": {"content": [
            {"type": "tool_use", "name": "Read", "input": {"file_path": os.getcwd() + "/a.py"}}
        ]}})
        result()
    """)
    events: list[Event] = []
    spawned: list[proc.Identity] = []
    r = run(
        spec(tmp_path, prompt="-starts with a dash"),
        env=env,
        binary=binary,
        on_event=events.append,
        on_spawn=spawned.append,
    )
    assert r.ok, r.failure_detail
    assert r.exit_code == 0
    assert r.text == "fake answer"
    assert r.session_id == "11111111-2222-4333-8444-555555555555"
    assert r.cost_usd == 0.01 and r.num_turns == 1
    assert r.usage == {"input_tokens": 3, "output_tokens": 4}
    assert r.tools_used == ("Read a.py",)
    assert r.duration_s is not None and r.duration_s > 0
    assert [e.kind for e in events] == ["init", "text", "tool", "result"]
    assert len(spawned) == 1 and spawned[0].pid > 0
    argv = json.loads(Path(env["FAKE_OUT"]).read_text())
    assert argv[-2:] == ["--", "-starts with a dash"]


def test_garbage_and_no_result(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        print("Welcome to some other tool!")
        print("<html>502 Bad Gateway</html>")
    """)
    r = run(spec(tmp_path), env=env, binary=binary)
    assert r.failure is FailureKind.GARBAGE
    assert r.garbage_lines == 2
    assert "2 unparseable lines" in r.failure_detail
    assert "Welcome to some other tool!" in r.failure_detail


def test_garbage_around_a_clean_result_is_tolerated(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        print("debug: starting")
        init()
        print("{not json")
        result()
    """)
    r = run(spec(tmp_path), env=env, binary=binary)
    assert r.ok
    assert r.garbage_lines == 2


@pytest.mark.parametrize("code", [0, 1])
def test_truncated_stream(fake: Any, env: dict[str, str], tmp_path: Path, code: int) -> None:
    binary = fake(f"""
        init()
        sys.stdout.write('{{"type": "assistant", "message": {{"content": [{{"type": "te')
        sys.stdout.flush()
        sys.exit({code})
    """)
    r = run(spec(tmp_path), env=env, binary=binary)
    assert r.failure is FailureKind.NO_RESULT
    assert f"exited with code {code} without a result (its output stops mid-line)" in (r.failure_detail)
    assert r.session_id is not None  # what arrived before the cut is kept


def test_crash_mid_stream_by_signal(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        init()
        say("half way")
        sys.stderr.write("fatal: out of memory\\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    r = run(spec(tmp_path), env=env, binary=binary)
    assert r.failure is FailureKind.NO_RESULT
    assert r.exit_code == -9
    assert "killed by SIGKILL" in r.failure_detail
    assert "stderr: fatal: out of memory" in r.failure_detail
    assert r.text == "half way"


def test_crash_with_exit_137(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        init()
        sys.exit(137)
    """)
    r = run(spec(tmp_path), env=env, binary=binary)
    assert r.failure is FailureKind.NO_RESULT
    assert r.exit_code == 137
    assert "exited with code 137" in r.failure_detail


def test_hang_past_timeout_kills_the_group(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake(HANGS_WITH_A_CHILD)
    started = time.monotonic()
    r = run(spec(tmp_path, timeout=2.0), env=env, binary=binary)
    elapsed = time.monotonic() - started
    assert r.failure is FailureKind.TIMEOUT
    assert "no result within 2s" in r.failure_detail
    assert 2.0 <= elapsed < 2.0 + runner.KILL_GRACE
    assert gone(child_pid(env)), "claude's child outlived the timeout"
    assert "--timeout" in failure_error(r).line()


def test_a_hang_that_ignores_sigterm_gets_sigkill(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        init()
        time.sleep(300)
    """)
    events: list[Event] = []  # cancel once the fake has said it ignores SIGTERM

    r = run(spec(tmp_path), env=env, binary=binary, on_event=events.append, cancel_check=lambda: bool(events))
    assert r.failure is FailureKind.CANCELLED
    assert r.exit_code == -9
    assert r.duration_s is not None and r.duration_s >= runner.KILL_GRACE


def test_exit_zero_with_is_error(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        init()
        result(is_error=True, result="Something broke inside claude")
    """)
    r = run(spec(tmp_path), env=env, binary=binary)
    assert r.failure is FailureKind.IS_ERROR
    assert r.exit_code == 0 and r.is_error and r.subtype == "success"
    assert "Something broke inside claude" in r.failure_detail


def test_clean_result_but_nonzero_exit(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        init()
        result()
        sys.stderr.write("segfault in cleanup\\n")
        sys.exit(3)
    """)
    r = run(spec(tmp_path), env=env, binary=binary)
    assert r.failure is FailureKind.EXIT_NONZERO
    assert r.failure_detail == ("claude exited with code 3 after its result; stderr: segfault in cleanup")


SCHEMA = {"type": "object", "properties": {"verdict": {"enum": ["approve", "reject"]}}}


@pytest.mark.parametrize(
    ("structured", "detail"),
    [
        ('{"verdict": 5}', "does not match the schema at $.verdict: 5 is not one of"),
        ("[1, 2]", "structured output is not a JSON object but list"),
    ],
)
def test_structured_output_off_the_schema(
    fake: Any, env: dict[str, str], tmp_path: Path, structured: str, detail: str
) -> None:
    # the real claude validates StructuredOutput itself; this guards against a CLI that does not
    binary = fake(f"result(structured_output=json.loads({structured!r}))")
    r = run(spec(tmp_path, json_schema=SCHEMA), env=env, binary=binary)
    assert r.failure is FailureKind.STRUCTURED_INVALID
    assert detail in r.failure_detail
    assert r.structured is None  # a failed run's output is never handed on


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("result(structured_output=ANSWER)\nsys.exit(1)", FailureKind.EXIT_NONZERO),
        ("result(is_error=True, structured_output=ANSWER)", FailureKind.IS_ERROR),
        ("result(is_error=True, api_error_status=500, structured_output=ANSWER)", FailureKind.API_ERROR),
    ],
)
def test_a_failed_run_carries_no_structured_output(
    fake: Any, env: dict[str, str], tmp_path: Path, body: str, kind: FailureKind
) -> None:
    binary = fake('ANSWER = {"verdict": "approve"}\ninit()\n' + body)
    r = run(spec(tmp_path, json_schema=SCHEMA), env=env, binary=binary)
    assert r.failure is kind
    assert r.structured is None


@pytest.mark.parametrize(("number", "where"), [("NaN", "$.n[1]"), ("Infinity", "$.n[1]"), ("-Infinity", "$.n[1]")])
def test_structured_output_with_a_number_json_cannot_hold(
    fake: Any, env: dict[str, str], tmp_path: Path, number: str, where: str
) -> None:
    # NaN passes `minimum`/`maximum`; a stream line may carry it, no report can (SARIF would not be JSON)
    binary = fake(f"result(structured_output={{'verdict': 'approve', 'n': [1, float({number!r})]}})")
    r = run(spec(tmp_path, json_schema=SCHEMA), env=env, binary=binary)
    assert r.failure is FailureKind.STRUCTURED_INVALID
    assert r.failure_detail == f"structured output holds NaN or Infinity at {where}"


def test_cancel_check_stops_the_run(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake(HANGS_WITH_A_CHILD)
    events: list[Event] = []
    r = run(spec(tmp_path), env=env, binary=binary, on_event=events.append, cancel_check=lambda: bool(events))
    assert r.failure is FailureKind.CANCELLED
    assert r.failure_detail == "the run was cancelled"
    assert r.duration_s is not None and r.duration_s < runner.KILL_GRACE
    assert gone(child_pid(env))


def test_stderr_tail_is_bounded_and_redacted(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        sys.stderr.write("noise " * 60_000)
        sys.stderr.write("\\nLAST key=" + os.environ["ANTHROPIC_API_KEY"] + "\\n")
        sys.exit(2)
    """)
    env["ANTHROPIC_API_KEY"] = "sk-ant-api03-SECRETSECRETSECRET"
    r = run(spec(tmp_path), env=env, binary=binary)
    assert r.failure is FailureKind.NO_RESULT
    assert len(r.stderr_tail) <= runner.STDERR_CAP
    assert r.stderr_tail.endswith("LAST key=***\n")
    assert "SECRET" not in r.stderr_tail + r.failure_detail
    assert r.failure_detail.endswith(" noise | LAST key=***")
    assert "stderr: …" in r.failure_detail


def test_other_secrets_never_reach_claude(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        with open(os.environ["FAKE_OUT"], "w") as f:
            json.dump(sorted(os.environ), f)
        result()
    """)
    env.update(GITHUB_TOKEN="ghp_x", OPENAI_API_KEY="sk-x", ANTHROPIC_API_KEY="test")
    assert run(spec(tmp_path), env=env, binary=binary).ok
    seen = json.loads(Path(env["FAKE_OUT"]).read_text())
    assert "ANTHROPIC_API_KEY" in seen
    assert "GITHUB_TOKEN" not in seen and "OPENAI_API_KEY" not in seen


def test_leftovers_are_killed_after_a_normal_exit(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        child()
        result()
    """)
    assert run(spec(tmp_path), env=env, binary=binary).ok
    assert gone(child_pid(env))


def test_a_leftover_holding_the_pipes_does_not_hang_the_run(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        child(hold_pipes=True)
        result()
    """)
    started = time.monotonic()
    r = run(spec(tmp_path), env=env, binary=binary)
    assert r.ok
    assert time.monotonic() - started < runner.DRAIN_GRACE + 2
    assert gone(child_pid(env))


def test_a_prompt_too_big_for_argv_goes_through_stdin(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        prompt = sys.stdin.read()
        with open(os.environ["FAKE_OUT"], "w") as f:
            json.dump(sys.argv[1:], f)
        result(result=f"got {len(prompt)} chars ending {prompt[-5:]}")
    """)
    prompt = "-" + "é" * 150_000 + "THEND"
    spawned: list[proc.Identity] = []
    r = run(spec(tmp_path, prompt=prompt), env=env, binary=binary, on_spawn=spawned.append)
    assert r.ok, r.failure_detail
    assert r.text == f"got {len(prompt)} chars ending THEND"
    argv = json.loads(Path(env["FAKE_OUT"]).read_text())
    assert "--" not in argv and prompt not in argv
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("ccplugin-prompt-*"))


def test_lots_of_output(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake("""
        init()
        line = "x" * 1000
        for i in range(20_000):
            say(f"{i} {line}")
        emit({"type": "result", "is_error": False, "result": ""})
    """)
    r = run(spec(tmp_path), env=env, binary=binary)
    assert r.ok
    assert r.text.startswith("0 xxx") and r.text.endswith("19999 " + "x" * 1000)
    assert len(r.text) < 1024 * 1024 + 100


@pytest.mark.usefixtures("no_bundled_claude")
def test_missing_binary_raises(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ClaudeFailure) as info:
        run(spec(tmp_path), env=env, binary=str(tmp_path / "no-such-claude"))
    assert info.value.kind is FailureKind.MISSING
    with pytest.raises(ClaudeFailure) as info:
        run(spec(tmp_path), env={"PATH": str(tmp_path)})
    assert "npm install -g @anthropic-ai/claude-code" in info.value.fix


def test_a_binary_that_cannot_start(tmp_path: Path, env: dict[str, str]) -> None:
    not_exec = tmp_path / "claude"
    not_exec.write_text("#!/bin/sh\n")
    r = run(spec(tmp_path), env=env, binary=str(not_exec))
    assert r.failure is FailureKind.SPAWN
    assert "Permission denied" in r.failure_detail


def test_a_missing_working_directory(fake: Any, tmp_path: Path, env: dict[str, str]) -> None:
    r = run(spec(tmp_path / "gone"), env=env, binary=fake("result()"))
    assert r.failure is FailureKind.SPAWN
    assert "does not exist" in r.failure_detail


def test_a_failing_callback_still_stops_claude(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    binary = fake(HANGS_WITH_A_CHILD)

    def boom(event: Event) -> None:
        raise RuntimeError("progress writer broke")

    with pytest.raises(RuntimeError):
        run(spec(tmp_path), env=env, binary=binary, on_event=boom)
    assert gone(child_pid(env))


def test_failure_error_gives_message_and_fix(fake: Any, env: dict[str, str], tmp_path: Path) -> None:
    r = run(spec(tmp_path), env=env, binary=fake("sys.exit(137)"))
    err = failure_error(r)
    assert err.kind is FailureKind.NO_RESULT
    assert err.exit_code == 3
    assert err.message == r.failure_detail
    assert "`claude -p hi`" in err.fix
    ok = run(spec(tmp_path), env=env, binary=fake("result()"))
    with pytest.raises(ValueError):
        failure_error(ok)


def test_every_failure_kind_has_a_fix() -> None:
    named_elsewhere = {FailureKind.MISSING, FailureKind.NO_NETWORK, FailureKind.CANCELLED, FailureKind.SAW_NOTHING}
    for kind in FailureKind:
        if kind not in named_elsewhere:
            assert runner._FIX[kind], kind
