"""Containment parts without a model: the guard hook, the argv, the version cache, ccplugin's own git."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ccplugin import git
from ccplugin.claude import confine, guard, version
from ccplugin.claude.argv import Confinement, build_argv
from ccplugin.claude.types import Mode, RunSpec
from ccplugin.review.collect import collect
from ccplugin.review.target import resolve_target
from conftest import git as run_git

SPEC = RunSpec(prompt="p", cwd="/repo", mode=Mode.REVIEW, model="m", effort=None, max_turns=5, timeout=60.0)


@pytest.mark.parametrize(
    "command",
    [
        "git diff",
        "git diff HEAD~1..HEAD -- calc.py",
        "git log -p -3 --format='%h %s'",
        "git show HEAD:calc.py",
        "git log -S needle",
        "git diff --text HEAD",
        "git diff HEAD -- '*.py'",
        "git log HEAD@{1}",
        "git blame -L 1,5 calc.py",
        "git show :/fix",
        "git show :calc.py",
        "git diff HEAD 2>&1 | head -200",
        "git log -p | tail -n 40",
    ],
)
def test_guard_lets_read_only_git_through(command: str) -> None:
    assert guard.bash_refusal(command) is None


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("cat calc.py", "only read-only git"),
        ("grep -r x .", "only read-only git"),
        ("git -c core.pager=x log", "only read-only git"),
        ("git fetch", "only read-only git"),
        ("git log; rm x", "shell syntax"),
        ("git log | sh", "shell syntax"),
        ("git log | head -3 | sh", "shell syntax"),
        ("git log | head /etc/shadow", "shell syntax"),
        ("git log | head > x", "shell syntax"),
        ("git log $(id)", "shell syntax"),
        ("git diff --output=x", "--output"),
        ("git diff --outp=x", "--outp"),
        ("git diff --ext-diff", "--ext-diff"),
        ("git diff --textconv", "--textconv"),
        ("git diff --no-index a b", "--no-index"),
        ("git diff /etc/shadow calc.py", "outside the repository"),
        ("git diff ../other/x calc.py", "outside the repository"),
        ("git show HEAD:../x", "outside the repository"),
        ("git diff ~/x", "outside the repository"),
        ("git blame --contents /etc/shadow calc.py", "--contents"),
        ("git blame -S revs calc.py", "-S"),
        ("git diff -Oorder", "-Oorder"),
        ("git cat-file --filters HEAD:x", "--filters"),
        ("git log --show-signature", "--show-signature"),
        ("git log --format=%G?", "%G"),
        ("git ls-files --exclude-from=/etc/x", "--exclude-from"),
        ("git log 'unclosed", "does not parse"),
    ],
)
def test_guard_refuses(command: str, words: str) -> None:
    reason = guard.bash_refusal(command)
    assert reason is not None and words in reason


@pytest.mark.parametrize(("pattern", "ok"), [("**/*.py", True), ("/etc/*", False), ("../x/*", False), ("~/x", False)])
def test_guard_keeps_glob_patterns_inside(pattern: str, ok: bool) -> None:
    assert (guard.refusal({"tool_name": "Glob", "tool_input": {"pattern": pattern}}) is None) is ok


def test_guard_as_claude_runs_it() -> None:
    def hook(event: object) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-I", "-S", str(confine.GUARD_SCRIPT)]
        return subprocess.run(argv, input=json.dumps(event), capture_output=True, text=True, check=False)

    refused = hook({"tool_name": "Bash", "tool_input": {"command": "cat /etc/passwd"}})
    assert (refused.returncode, refused.stderr.count("\n")) == (2, 1)
    assert hook({"tool_name": "Bash", "tool_input": {"command": "git status"}}).returncode == 0
    assert hook({"tool_name": "Read", "tool_input": {"file_path": "x"}}).returncode == 0
    assert hook("not an object").returncode == 2


def test_argv_offers_only_the_tools_of_the_mode() -> None:
    argv = build_argv("claude", SPEC, confinement=Confinement(explicit_tools=True))
    assert argv[argv.index("--tools") + 1] == "Read,Grep,Glob,Bash"
    write = build_argv("claude", replace(SPEC, mode=Mode.RESCUE_WRITE), confinement=Confinement())
    assert write[write.index("--tools") + 1].split(",")[4:] == ["Edit", "MultiEdit", "Write", "NotebookEdit"]


def test_argv_without_the_tools_flag_denies_the_rest_by_name() -> None:
    argv = build_argv("claude", SPEC, confinement=Confinement(explicit_tools=False))
    assert "--tools" not in argv
    denied = argv[argv.index("--disallowedTools") + 1 :]
    for tool in ("EnterWorktree", "Agent", "Task", "WebFetch", "WebSearch", "Write", "Edit", "Skill", "CronCreate"):
        assert tool in denied


def test_argv_denies_private_paths_absolutely_and_installs_the_guard() -> None:
    argv = build_argv("claude", SPEC, confinement=Confinement(private=("/state",), guard="python guard.py"))
    denied = argv[argv.index("--disallowedTools") + 1 :]
    assert {"Read(//state)", "Read(//state/**)"} <= set(denied)
    settings = json.loads(argv[argv.index("--settings") + 1])
    (matcher,) = settings["hooks"]["PreToolUse"]
    assert matcher["matcher"] == "Bash|Glob"
    assert matcher["hooks"] == [{"type": "command", "command": "python guard.py"}]
    write = build_argv("claude", replace(SPEC, mode=Mode.RESCUE_WRITE), confinement=Confinement(guard="g"))
    assert "--settings" not in write  # rescue --write runs the project's tests


def test_private_paths_hold_state_config_and_git(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "h"), "CCPLUGIN_HOME": str(tmp_path / "s"), "CLAUDE_CONFIG_DIR": str(tmp_path / "c")}
    (tmp_path / "r" / ".git").mkdir(parents=True)
    found = confine.private_paths(replace(SPEC, cwd=str(tmp_path / "r")), env)
    for path in ("s", "c", "h/.claude", "h/.claude.json", "r/.git"):
        assert str(tmp_path / path) in found


def _fake_claude(tmp_path: Path, answer: str) -> tuple[Path, Path]:
    calls = tmp_path / "calls"
    exe = tmp_path / "claude"
    exe.write_text(f"#!/bin/sh\necho x >> {calls}\necho '{answer}'\n")
    exe.chmod(0o755)
    return exe, calls


def test_version_is_asked_once_per_binary(tmp_path: Path) -> None:
    exe, calls = _fake_claude(tmp_path, "2.1.197 (Claude Code)")
    env = {"CCPLUGIN_HOME": str(tmp_path / "state"), "PATH": os.environ["PATH"]}
    assert version.of(str(exe), env) == (2, 1, 197)
    assert version.of(str(exe), env) == (2, 1, 197)
    assert calls.read_text().count("x") == 1
    exe.write_text(exe.read_text().replace("2.1.197", "2.1.332"))  # upgraded in place
    later = time.time() + 5
    os.utime(exe, (later, later))
    assert version.of(str(exe), env) == (2, 1, 332)
    assert calls.read_text().count("x") == 2


def test_an_unreadable_version_means_no_tools_flag(tmp_path: Path) -> None:
    exe, _ = _fake_claude(tmp_path, "garbage")
    env = {"CCPLUGIN_HOME": str(tmp_path / "state"), "PATH": os.environ["PATH"]}
    assert version.of(str(exe), env) is None
    assert not confine.confinement(SPEC, env, str(exe)).explicit_tools


# --- ccplugin's own git ------------------------------------------------------------------------


def _touched(repo: Path) -> None:
    (repo / "util.py").write_text("X = 1\n")
    run_git(repo, "add", "util.py")
    run_git(repo, "commit", "-q", "-m", "util")
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    later = time.time() + 5
    os.utime(repo / "util.py", (later, later))


def test_collecting_a_work_tree_diff_leaves_the_index_byte_identical(repo: Path) -> None:
    _touched(repo)
    index = (repo / ".git" / "index").read_bytes()
    found = collect(resolve_target(repo, "working-tree"))
    assert [f.path for f in found.files] == ["calc.py"]  # the touched file is no change
    assert (repo / ".git" / "index").read_bytes() == index


def test_a_plain_git_diff_would_have_rewritten_it(repo: Path) -> None:
    """Why scratch_index exists: GIT_OPTIONAL_LOCKS=0 does not stop `git diff`'s refresh."""
    _touched(repo)
    index = (repo / ".git" / "index").read_bytes()
    git.raw_diff(repo, ["HEAD"])
    assert (repo / ".git" / "index").read_bytes() != index


def test_ccplugin_git_runs_no_configured_program(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (repo / ".gitattributes").write_text("*.py diff=evil filter=evil\n")
    for key, value in {
        "diff.evil.command": f"touch {marker}-command",
        "diff.evil.textconv": f"touch {marker}-textconv; cat",
        "filter.evil.clean": f"touch {marker}-clean; cat",
        "filter.evil.required": "true",
        "core.fsmonitor": f"touch {marker}-fsmonitor; false",
    }.items():
        run_git(repo, "config", key, value)
    _touched(repo)
    for ran in tmp_path.glob("ran-*"):  # setting up the repository ran them
        ran.unlink()
    found = collect(resolve_target(repo, "working-tree"))
    assert "-    return a + b" in found.diff
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("ran")) == []


def test_the_scratch_index_still_sees_a_racy_change(repo: Path) -> None:
    """A same-size change within the second of the commit is seen only because the copy keeps
    the index's mtime: git re-reads the entries that are not older than the index file."""
    calc = repo / "calc.py"
    time.sleep(1 - time.time() % 1)  # commit and change within one second
    calc.write_text("def add(a, b):\n    return a * b\n")
    run_git(repo, "commit", "-q", "-am", "times")
    calc.write_text("def add(a, b):\n    return a / b\n")
    time.sleep(1.1)  # the scratch copy is made a second later
    found = collect(resolve_target(repo, "working-tree"))
    assert [f.path for f in found.files] == ["calc.py"]
