"""The Codex plugin inside the real Codex CLI (0.169) and the real Claude CLI, both on loopback fakes.

One CODEX_HOME with the plugin installed serves the module (installing takes a few seconds);
each test gets its own state root, fakes and repository. The provider's URL is set per run.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from ccplugin import __version__, proc
from ccplugin.codex.appserver import AppServer
from ccplugin.codex.codexcli import Codex
from ccplugin.codex.hooks import SESSION_END_TIMEOUT
from ccplugin.codex.layout import PLUGIN_ID, Layout
from ccplugin.jobs.store import State
from ccplugin.testing import FakeAnthropic, fail, find_claude_bin, reply, structured_output
from codex_helpers import (
    NETWORK,
    Installed,
    all_input_text,
    codex_env,
    codex_exec,
    hook,
    hooks_log,
    install,
    installed_plugin,
    jobs,
    launcher,
    stopped_after,
)
from helpers import CliRun, ccplugin, finding, review_output, tree_snapshot, without_claude
from support import CodexRun, FakeResponses, exec_command, spawn_agent, tool_search_call, wait_agent
from support.codex_env import PROVIDER_ID

pytestmark = [pytest.mark.real_codex, pytest.mark.real_claude]

USER_CONFIG = """
# my settings: keep these comments
[features]
# search stays on
web_search = true   # trailing comment

[tui]
notifications = false
"""
SKILLS = ("review", "adversarial-review", "rescue", "status", "result", "cancel", "setup")
BUG = "def add(a, b):\n    return a - b\n"
EDIT = "printf 'def add(a, b):\\n    return a - b\\n' > calc.py"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return installed_plugin(tmp_path_factory, "codex-installed")


@pytest.fixture
def fakes() -> Iterator[list[FakeResponses | FakeAnthropic]]:
    yield from stopped_after()


def codex_exec_text(env: Mapping[str, str], fake: FakeResponses, prompt: str, *flags: str, cwd: Path) -> proc.Completed:
    """``codex exec`` without ``--json``: its stderr shows how each hook run ended."""
    url = f'model_providers.{PROVIDER_ID}.base_url="{fake.base_url}"'
    argv = [env["CCPLUGIN_CODEX_BIN"], "exec", "--skip-git-repo-check", "-c", url, *flags, "--", prompt]
    return proc.run(argv, cwd=cwd, env=env, timeout=120)


def start_codex(fakes: list[FakeResponses | FakeAnthropic], *rules: object) -> FakeResponses:
    fake = FakeResponses(list(rules)).start()  # type: ignore[arg-type]
    fakes.append(fake)
    return fake


def start_claude(
    fakes: list[FakeResponses | FakeAnthropic], *findings: dict[str, object], delay: float = 0
) -> FakeAnthropic:
    answer = structured_output(review_output(*findings))
    fake = FakeAnthropic([reply(answer, tool_offered="StructuredOutput", delay_s=delay)]).start()
    fakes.append(fake)
    return fake


# -- install / uninstall ------------------------------------------------------------------------


def test_install_registers_trusts_is_idempotent_and_uninstall_restores_config(tmp_path: Path) -> None:
    env = codex_env(tmp_path)
    layout = Layout.of(env)
    layout.config.write_text(layout.config.read_text() + USER_CONFIG)
    before = layout.config.read_bytes()

    first = install(env, tmp_path)
    assert first["changed"] and first["version"] == __version__
    assert [h["trust"] for h in first["hooks"]] == ["trusted"] * 4
    listed = proc.run([env["CCPLUGIN_CODEX_BIN"], "plugin", "list"], env=env).out
    assert f"{PLUGIN_ID}  installed, enabled" in listed
    launched = proc.run([launcher(env), "--version"], env=env)
    assert launched.out.strip() == f"ccplugin {__version__}"

    config, files = layout.config.read_bytes(), tree_snapshot(layout.root)
    second = install(env, tmp_path)
    assert not second["changed"] and second["actions"] == []
    assert layout.config.read_bytes() == config and tree_snapshot(layout.root) == files

    removed = ccplugin("uninstall", "--json", cwd=tmp_path, env=env)
    assert removed.code == 0, removed.err
    assert layout.config.read_bytes() == before
    assert not layout.root.exists()
    assert not layout.cache_root.exists() and layout.cache_root.parent.is_dir()  # only our folder went
    assert PLUGIN_ID not in proc.run([env["CCPLUGIN_CODEX_BIN"], "plugin", "list"], env=env).out


def test_install_repairs_codex_copy_and_retrusts_after_the_plugin_changes(tmp_path: Path) -> None:
    env = codex_env(tmp_path)
    install(env, tmp_path)
    layout = Layout.of(env)
    cached = layout.cache(__version__) / "skills" / "review" / "SKILL.md"
    cached.write_text(cached.read_text() + "\ntampered\n")
    with AppServer(Codex.find(env), str(tmp_path)) as server:
        assert {h.trust for h in server.hooks(str(tmp_path)) if h.plugin_id == PLUGIN_ID} == {"modified"}
    repaired = install(env, tmp_path)
    assert repaired["actions"] == [f"installed the plugin `{PLUGIN_ID}` {__version__} into Codex"]
    assert "tampered" not in cached.read_text()
    assert {h["trust"] for h in repaired["hooks"]} == {"trusted"}  # the same content: still trusted

    moved = install(env | {"CCPLUGIN_CLAUDE_BIN": "/bin/true"}, tmp_path)  # a new launcher, as after an upgrade
    assert moved["actions"][0].startswith("wrote the plugin to")
    assert "trusted 4 plugin hook(s)" in moved["actions"][-1]
    assert "$PATH:}/bin:" in Path(moved["launcher"]).read_text()


HOOKS_OFF = """
# no hooks on this machine
[features]
hooks = false   # my choice
"""


def on_terminal(argv: list[str], answer: bytes, env: Mapping[str, str], cwd: Path) -> tuple[int, str]:
    """Run ``argv`` with a pseudo-terminal as stdin and stderr, answering ``answer`` once."""
    main, side = pty.openpty()
    with os.fdopen(main, "rb+", buffering=0) as tty:
        child = subprocess.Popen(argv, stdin=side, stdout=subprocess.PIPE, stderr=side, cwd=cwd, env=dict(env))
        os.close(side)
        tty.write(answer)
        out, _ = child.communicate(timeout=120)
        seen = b""
        with contextlib.suppress(OSError):  # EIO once the child closed its side
            while chunk := tty.read(4096):
                seen += chunk
    return child.returncode, seen.decode() + out.decode()


def test_install_turns_on_hooks_the_user_turned_off_only_when_told(tmp_path: Path, repo: Path) -> None:
    env = codex_env(tmp_path)
    layout = Layout.of(env)
    layout.config.write_text(layout.config.read_text() + HOOKS_OFF)
    before = layout.config.read_bytes()

    refused = ccplugin("install", cwd=tmp_path, env=env)  # no terminal: one line naming the flag
    assert refused.code == 5 and refused.out == ""
    assert refused.err.count("\n") == 1 and "`hooks = false`" in refused.err
    assert "`ccplugin install --enable-hooks`" in refused.err
    assert layout.config.read_bytes() == before and not layout.root.exists()  # nothing changed
    report = ccplugin("setup", "--json", cwd=repo, env=env).json()
    check = next(c for c in report["checks"] if c["name"] == "features")
    assert not check["ok"] and "`hooks = false`" in check["detail"] and "--enable-hooks" in check["fix"]

    argv = [sys.executable, "-m", "ccplugin", "install"]
    code, said = on_terminal(argv, b"n\n", env, tmp_path)
    assert code == 5 and "[y/N]" in said and "--enable-hooks" in said
    assert layout.config.read_bytes() == before

    code, said = on_terminal(argv, b"y\n", env, tmp_path)
    assert code == 0, said
    assert "# no hooks on this machine\n[features]\nhooks = true   # my choice\n" in layout.config.read_text()
    assert f"set [features] hooks = true in {layout.config}" in said
    removed = ccplugin("uninstall", cwd=tmp_path, env=env)
    assert removed.code == 0 and layout.config.read_bytes() == before  # uninstall puts `false` back

    flag = ccplugin("install", "--enable-hooks", "--json", cwd=tmp_path, env=env)
    assert flag.code == 0, flag.err
    assert [h["trust"] for h in flag.json()["hooks"]] == ["trusted"] * 4


def test_every_skill_passes_codex_own_skill_validator(installed: Installed) -> None:
    """Codex writes its system skills (skill-creator and its ``quick_validate.py``) into CODEX_HOME."""
    layout = Layout.of(installed.env)
    validator = layout.home / "skills" / ".system" / "skill-creator" / "scripts" / "quick_validate.py"
    assert validator.is_file(), "this Codex did not write its skill-creator system skill"
    skills = sorted((layout.cache(__version__) / "skills").iterdir())
    assert [s.name for s in skills] == sorted(SKILLS)
    for skill in skills:
        done = proc.run([sys.executable, str(validator), str(skill)], timeout=30)
        assert (done.returncode, done.out.strip()) == (0, "Skill is valid!"), f"{skill.name}: {done.out}{done.err}"
        interface = yaml.safe_load((skill / "agents" / "openai.yaml").read_text())["interface"]
        assert 25 <= len(interface["short_description"]) <= 64, skill.name  # skill-creator's openai_yaml.md
        assert f"$cc:{skill.name}" in interface["default_prompt"], skill.name


# -- reviews from inside Codex ------------------------------------------------------------------


def test_review_run_by_codex_belongs_to_its_session_and_default_sandbox_fails_fast(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    (repo / "calc.py").write_text(BUG)
    claude = start_claude(fakes, finding("calc.py", 2))
    env = installed.env_for(tmp_path, claude)
    codex = start_codex(fakes, reply(exec_command(f"{launcher(env)} review"), turn=0), reply("done"))

    run = codex_exec(env, codex, "$cc:review", *NETWORK, cwd=repo)
    assert run.ok, run.stderr
    output = codex.response_requests()[1].summary.last_output_text
    assert "[high] Sign flipped (calc.py:2)" in output
    (job,) = jobs(env)
    assert (job.kind, job.state, job.owner) == ("review", State.COMPLETED, run.thread_id)
    assert len(claude.message_requests()) == 1

    blocked = codex_exec(env, codex, "$cc:review", cwd=repo)  # default sandbox: read-only, no network
    output = codex.response_requests()[-1].summary.last_output_text
    assert "this Codex sandbox has none" in output and "network_access = true" in output
    assert "exited with code 3" in output
    assert blocked.ok and len(jobs(env)) == 1 and len(claude.message_requests()) == 1


def test_background_review_runs_in_a_subagent_and_belongs_to_the_parent_session(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    (repo / "calc.py").write_text(BUG)
    claude = start_claude(fakes, finding("calc.py", 2))
    env = installed.env_for(tmp_path, claude)
    cc, reserved = launcher(env), tmp_path / "reserved.json"
    job_id = f'"$(sed -n \'s/.*"job_id": "\\([^"]*\\)".*/\\1/p\' {reserved})"'
    codex = start_codex(
        fakes,
        reply(exec_command(f"{cc} review --job-id {job_id}"), subagent=True, turn=0),
        reply("Background Claude Code review finished.", subagent=True),
        reply(exec_command(f"{cc} reserve --kind review --json > {reserved}"), turn=0),
        reply(tool_search_call("spawn a sub-agent"), turn=1),
        reply(spawn_agent("Run the reserved review in the foreground."), last_output_contains="spawn_agent"),
        reply(wait_agent(), last_output_contains="agent_id"),
        reply("Claude Code review started in the background."),
    )
    run = codex_exec(env, codex, "$cc:review --background", *NETWORK, cwd=repo)
    assert run.ok, run.stderr
    (job,) = jobs(env)
    assert (job.kind, job.state, job.owner) == ("review", State.COMPLETED, run.thread_id)
    assert job.viewed_at is None  # unread: the parent is nudged, or opens it with $cc:result
    child = [r for r in codex.response_requests() if r.summary.is_subagent]
    assert child and child[0].summary.session_id == run.thread_id
    assert f"Open it with $cc:result {job.id}." in child[-1].summary.last_output_text
    assert json.loads(reserved.read_text())["owner_session"] == run.thread_id


# -- hooks inside codex exec --------------------------------------------------------------------


def test_session_start_records_and_prompt_submit_nudges_about_an_unread_job_once(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    (repo / "calc.py").write_text(BUG)
    claude = start_claude(fakes)
    env = installed.env_for(tmp_path, claude)
    cc = launcher(env)
    reserve_and_run = f"ID=$({cc} reserve --kind review | cut -d' ' -f2) && {cc} review --job-id $ID"
    codex = start_codex(
        fakes,
        reply(exec_command(reserve_and_run), turn=0, prompt_contains="start"),
        reply("ok"),
    )
    first = codex_exec(env, codex, "start", *NETWORK, cwd=repo)
    assert first.ok, first.stderr
    (job,) = jobs(env)
    assert job.state is State.COMPLETED and job.viewed_at is None and job.notified_at is None
    assert f"SessionStart session={first.thread_id} recorded {repo}" in hooks_log(env)

    second = codex_exec(env, codex, "what next?", "resume", str(first.thread_id), cwd=repo)
    assert second.ok, second.stderr
    assert f"`$cc:result {job.id}` opens it" in all_input_text(codex)[-1]
    assert jobs(env)[0].notified_at is not None
    again = hook("UserPromptSubmit", {"session_id": first.thread_id, "cwd": str(repo), "prompt": "hi"}, env, repo)
    assert (again.code, again.out) == (0, "")  # announced once only


def test_stop_gate_blocks_once_then_codex_finishes_without_a_loop(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    claude = start_claude(fakes, finding("calc.py", 2))
    env = installed.env_for(tmp_path, claude)
    assert ccplugin("setup", "--enable-review-gate", cwd=repo, env=env).code in (0, 2)
    codex = start_codex(
        fakes,
        reply(exec_command(EDIT), turn=0),
        reply("I checked it and I am leaving it as is.", last_user_contains="BLOCK:"),
        reply("Edited calc.py."),
    )
    run = codex_exec(env, codex, "change add", "--sandbox", "workspace-write", cwd=repo)
    assert run.ok, run.stderr
    assert run.final_message == "I checked it and I am leaving it as is."
    block = codex.response_requests()[2].summary.last_user_text
    assert "BLOCK: Claude Code's stop-time review found 1 issue(s) at or above high" in block
    assert "[high] Sign flipped (calc.py:2)" in block
    assert len(claude.message_requests()) == 1  # reviewed once; the second stop did not re-review
    log = hooks_log(env)
    assert log.count("Stop session=") == 2 and "allowed: nothing changed since the last block" in log
    gate = next(j for j in jobs(env) if j.kind == "gate")
    assert gate.owner == run.thread_id and gate.viewed_at is not None


@pytest.mark.parametrize(
    ("claude_fails", "said"),
    [
        (True, "ALLOW: not reviewed — "),
        (False, "ALLOW: Claude reviewed 1 changed file; no finding at or above high"),
    ],
    ids=["claude-fails", "no-findings"],
)
def test_stop_gate_allows_once_and_says_whether_claude_reviewed(
    installed: Installed,
    repo: Path,
    tmp_path: Path,
    fakes: list[FakeResponses | FakeAnthropic],
    claude_fails: bool,
    said: str,
) -> None:
    if claude_fails:
        claude = FakeAnthropic([fail(500)]).start()
        fakes.append(claude)
    else:
        claude = start_claude(fakes)
    env = installed.env_for(tmp_path, claude)
    ccplugin("setup", "--enable-review-gate", cwd=repo, env=env)
    codex = start_codex(fakes, reply(exec_command(EDIT), turn=0), reply("Edited calc.py."))
    run = codex_exec_text(env, codex, "change add", "--sandbox", "workspace-write", cwd=repo)
    assert run.returncode == 0, run.err
    assert run.out.strip() == "Edited calc.py."
    # Codex took the hook's {"systemMessage": …} as valid output (bad output reads "hook: Stop Failed")
    assert run.err.count("hook: Stop\n") == 1 and "hook: Stop Completed" in run.err, run.err
    assert len(codex.response_requests()) == 2  # no continuation after the stop
    assert not any("<hook_prompt" in text for text in all_input_text(codex))
    assert len(claude.message_requests()) == 1
    log = hooks_log(env)
    assert log.count("Stop session=") == 1 and f"| {said}" in log
    (gate,) = (j for j in jobs(env) if j.kind == "gate")
    assert gate.state is (State.FAILED if claude_fails else State.COMPLETED) and gate.viewed_at is not None


def test_stop_gate_skips_a_turn_without_edits(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    (repo / "calc.py").write_text(BUG)  # dirty before the turn: not this turn's edit
    claude = start_claude(fakes, finding("calc.py", 2))
    env = installed.env_for(tmp_path, claude)
    ccplugin("setup", "--enable-review-gate", cwd=repo, env=env)
    codex = start_codex(fakes, reply("Nothing to change."))
    run = codex_exec(env, codex, "explain add", "--sandbox", "workspace-write", cwd=repo)
    assert run.ok, run.stderr
    assert claude.message_requests() == []
    assert "skipped: the turn made no net edits" in hooks_log(env)


def sigterm_deaf(env: Mapping[str, str], tmp_path: Path) -> tuple[dict[str, str], Path]:
    """``env`` whose claude ignores SIGTERM: a wrapper (pid in the returned file) runs the real one, then sleeps."""
    pidfile = tmp_path / "claude.pid"
    wrapper = tmp_path / "deaf-claude"
    wrapper.write_text(
        f'#!/bin/sh\ntrap \'\' TERM\necho $$ > {pidfile}\n"{env["CCPLUGIN_CLAUDE_BIN"]}" "$@"\nexec sleep 60\n'
    )
    wrapper.chmod(0o755)
    return dict(env) | {"CCPLUGIN_CLAUDE_BIN": str(wrapper)}, pidfile


def plugin_warnings(run: CodexRun) -> list[str]:
    """Codex's warnings about our plugin or its hooks (``--json`` makes them ``error`` items)."""
    lines = [str(i.get("message")) for i in run.items("error")] + run.stderr.splitlines()
    return [line for line in lines if "hook" in line.lower() or "/cc/" in line]


def group_alive(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def test_session_end_cancels_the_sessions_running_background_job_inside_codex_timeout(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    (repo / "calc.py").write_text(BUG)
    claude = start_claude(fakes, delay=60)  # the review is still running when Codex exits
    env, pidfile = sigterm_deaf(installed.env_for(tmp_path, claude), tmp_path)
    wait = f"for i in $(seq 100); do [ -s {pidfile} ] && break; sleep 0.1; done"  # until claude runs
    started = f"{launcher(env)} review --background && {wait}"
    codex = start_codex(fakes, reply(exec_command(started), turn=0), reply("started"))
    run = codex_exec(env, codex, "review in the background", "--sandbox", "danger-full-access", cwd=repo)
    assert run.ok, run.stderr
    assert plugin_warnings(run) == []  # e.g. `warning: clamping SessionEnd hook timeout to 3s in …`
    (job,) = jobs(env)
    assert job.owner == run.thread_id and job.state is State.CANCELLED
    assert "ended; cancelled " + job.id in hooks_log(env)
    assert job.pid is not None and job.pid_start is not None
    assert not proc.Identity(job.pid, job.pid_start).alive()
    assert not group_alive(int(pidfile.read_text()))  # claude ignored SIGTERM: killed, not left behind


def test_session_end_kills_a_claude_that_ignores_sigterm_within_codex_three_seconds(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    (repo / "calc.py").write_text(BUG)
    env, pidfile = sigterm_deaf(installed.env_for(tmp_path, start_claude(fakes, delay=60)), tmp_path)
    env["CODEX_SESSION_ID"] = "s-deaf"
    assert ccplugin("review", "--background", cwd=repo, env=env).code == 0
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    began = time.monotonic()
    ended = hook("SessionEnd", {"session_id": "s-deaf", "cwd": str(repo)}, env, repo)
    took = time.monotonic() - began
    assert ended.code == 0 and "cancelled this session's Claude Code jobs" in ended.err
    assert took < SESSION_END_TIMEOUT, f"SessionEnd took {took:.2f}s; Codex kills it at {SESSION_END_TIMEOUT}s"
    (job,) = jobs(env)
    assert job.state is State.CANCELLED and not group_alive(int(pidfile.read_text()))


def test_codex_starts_without_a_warning_about_the_plugin(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    env = installed.env_for(tmp_path)
    done = codex_exec_text(env, start_codex(fakes, reply("hello")), "hi", cwd=repo)  # text mode: warnings on stderr
    assert done.returncode == 0, done.err
    warned = [line for line in done.err.splitlines() if "warning" in line.lower()]
    assert [line for line in warned if "hook" in line.lower() or "/cc/" in line] == [], warned
    assert "SessionStart session=" in hooks_log(env)  # the plugin and its hooks were loaded


def test_hooks_declare_the_timeouts_codex_grants(installed: Installed) -> None:
    declared = json.loads((Layout.of(installed.env).cache(__version__) / "hooks" / "hooks.json").read_text())
    (session_end,) = declared["hooks"]["SessionEnd"][0]["hooks"]
    assert session_end["timeout"] == SESSION_END_TIMEOUT


# -- setup ---------------------------------------------------------------------------------------


def test_setup_reports_broken_checks_and_repairs_hook_trust(installed: Installed, repo: Path, tmp_path: Path) -> None:
    env = installed.env_for(tmp_path) | {"CCPLUGIN_CLAUDE_BIN": str(tmp_path / "no-claude")}
    with AppServer(Codex.find(env), str(repo)) as server:  # a hook left untrusted
        server.forget([f"{PLUGIN_ID}:hooks/hooks.json:stop:0:0"])
    run = ccplugin("setup", "--json", cwd=repo, env=env)
    assert run.code == 2, run.err
    report = run.json()
    checks = {c["name"]: c for c in report["checks"]}
    assert not report["ready"]
    assert not checks["claude"]["ok"] and "npm install -g @anthropic-ai/claude-code" in checks["claude"]["fix"]
    assert checks["hooks"]["ok"] and report["actions"] == ["trusted 1 plugin hook(s) (stop)"]
    assert not checks["review gate"]["ok"] and not checks["review gate"]["required"]
    assert "--enable-review-gate" in checks["review gate"]["fix"]

    text = ccplugin("setup", "--enable-review-gate", cwd=repo, env=env)
    assert "Status: needs attention" in text.out and "- claude: FAIL" in text.out
    assert "- hooks: ok — 4 hooks trusted" in text.out and "- review gate: ok — on" in text.out
    assert "Actions taken:\n- enabled the stop-time review gate for" in text.out


def test_setup_inside_codex_default_sandbox_says_how_to_allow_the_network(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    env = installed.env_for(tmp_path, start_claude(fakes))
    codex = start_codex(fakes, reply(exec_command(f"{launcher(env)} setup --json"), turn=0), reply("done"))
    run = codex_exec(env, codex, "$cc:setup", cwd=repo)  # the default sandbox: seccomp refuses sockets
    assert run.ok, run.stderr
    output = codex.response_requests()[1].summary.last_output_text
    report = json.loads(output[output.index("{") :])
    network = next(c for c in report["checks"] if c["name"] == "sandbox network")
    assert not network["ok"] and "creating a network socket: Operation not permitted" in network["detail"]
    assert "network_access = true" in network["fix"] and "approve the escalated command" in network["fix"]


def test_an_approved_escalation_keeps_codex_offline_variable_and_still_reaches_claude(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    """Codex runs an approved `require_escalated` command unsandboxed but leaves the variable set."""
    (repo / "calc.py").write_text(BUG)
    claude = start_claude(fakes, finding("calc.py", 2))
    env = installed.env_for(tmp_path, claude) | {"CODEX_SANDBOX_NETWORK_DISABLED": "1", "CODEX_SESSION_ID": "s1"}
    review = ccplugin("review", cwd=repo, env=env)
    assert review.code == 0, review.err
    assert "[high] Sign flipped (calc.py:2)" in review.out and len(claude.message_requests()) == 1
    report = ccplugin("setup", "--json", cwd=repo, env=env).json()
    network = next(c for c in report["checks"] if c["name"] == "sandbox network")
    assert network["ok"], network
    assert network["detail"].startswith("Codex marks this sandbox offline, but this command has the network (127.")


def checks_of(run: CliRun) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in run.json()["checks"]}


def test_setup_says_which_claude_runs_and_where_it_came_from(installed: Installed, repo: Path, tmp_path: Path) -> None:
    real = find_claude_bin()
    assert real is not None
    version = proc.run([real, "--version"]).out.strip()
    env = installed.env_for(tmp_path) | {"CLAUDE_CONFIG_DIR": str(tmp_path / "claude-config")}
    chosen = checks_of(ccplugin("setup", "--json", cwd=repo, env=env | {"CCPLUGIN_CLAUDE_BIN": real}))["claude"]
    assert chosen["ok"] and chosen["detail"] == f"{version} at {real} (from $CCPLUGIN_CLAUDE_BIN)"
    on_path = without_claude(env, tmp_path) | {"PATH": f"{Path(real).parent}:/usr/bin:/bin"}
    found = checks_of(ccplugin("setup", "--json", cwd=repo, env=on_path))["claude"]
    assert found["detail"] == f"{version} at {Path(real).parent / 'claude'} (from PATH)"
    text = ccplugin("setup", cwd=repo, env=on_path).out
    assert f"- claude: ok — {version} at {Path(real).parent / 'claude'} (from PATH)" in text


STUB_PIP = """import os, sys
from pathlib import Path
here = Path(__file__).resolve().parent.parent
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(repr([sys.executable, *sys.argv[1:]]) + "\\n")
if os.environ.get("STUB_FAIL"):
    sys.exit("ERROR: No matching distribution found for claude-agent-sdk>=0.2.189")
bundled = here / "claude_agent_sdk" / "_bundled"
bundled.mkdir(parents=True, exist_ok=True)
(bundled / "claude").symlink_to(os.environ["STUB_CLAUDE"])
print("Successfully installed claude-agent-sdk-0.2.189")
"""


def test_setup_install_claude_installs_by_pip_or_npm_then_checks_again(
    installed: Installed, repo: Path, tmp_path: Path
) -> None:
    """No download: ``python -m pip`` and ``npm`` are stubs at the process boundary that put the real claude
    where pip's claude-agent-sdk wheel, or npm's global bin folder, would."""
    real = find_claude_bin()
    assert real is not None
    log = tmp_path / "installers.log"
    base = installed.env_for(tmp_path) | {"CLAUDE_CONFIG_DIR": str(tmp_path / "claude-config")}
    env = without_claude(base, tmp_path) | {"STUB_LOG": str(log), "STUB_CLAUDE": real}
    shadow = Path(env["PYTHONPATH"])  # a claude_agent_sdk without its CLI, where `python -m pip` finds our pip
    (shadow / "pip").mkdir()
    (shadow / "pip" / "__init__.py").write_text("")
    (shadow / "pip" / "__main__.py").write_text(STUB_PIP)
    assert not checks_of(ccplugin("setup", "--json", cwd=repo, env=env))["claude"]["ok"]

    failed = ccplugin("setup", "--install-claude", "--json", cwd=repo, env=env | {"STUB_FAIL": "1"})
    check = checks_of(failed)["install claude"]
    assert failed.code == 2 and not check["ok"] and "No matching distribution" in check["detail"]
    assert "claude-agent-sdk>=0.2.189" in check["fix"] and "--install-claude npm" in check["fix"]

    run = ccplugin("setup", "--install-claude", "--json", cwd=repo, env=env)
    pip = [sys.executable, "-m", "pip", "install", "claude-agent-sdk>=0.2.189"]
    assert run.json()["actions"][0] == f"installed Claude Code: `{shlex.join(pip)}`"
    assert log.read_text().splitlines()[-1] == repr([sys.executable, "install", "claude-agent-sdk>=0.2.189"])
    bundled = shadow / "claude_agent_sdk" / "_bundled" / "claude"
    checks = checks_of(run)
    assert checks["claude"]["ok"] and checks["claude"]["detail"].endswith(
        f"at {bundled} (from the claude-agent-sdk wheel)"
    )
    assert not checks["auth"]["ok"] and checks["auth"]["fix"] == f"run `{bundled} auth login`"
    again = ccplugin("setup", "--install-claude", cwd=repo, env=env)
    assert f"- Claude Code is already installed ({bundled}, from the claude-agent-sdk wheel)" in again.out
    assert len(log.read_text().splitlines()) == 2  # the failed and the first install; nothing since

    npm_bin = tmp_path / "npm-bin"
    npm_bin.mkdir()
    npm = npm_bin / "npm"
    npm.write_text(f'#!/bin/sh\necho "npm $*" >> "$STUB_LOG"\nln -s "$STUB_CLAUDE" {npm_bin / "claude"}\n')
    npm.chmod(0o755)
    bundled.unlink()
    by_npm = env | {"PATH": f"{npm_bin}:{env['PATH']}"}
    run = ccplugin("setup", "--install-claude", "npm", "--json", cwd=repo, env=by_npm)
    assert run.json()["actions"][0] == f"installed Claude Code: `{npm} install -g @anthropic-ai/claude-code`"
    assert log.read_text().splitlines()[-1] == "npm install -g @anthropic-ai/claude-code"
    checks = checks_of(run)
    assert checks["claude"]["detail"].endswith(f"at {npm_bin / 'claude'} (from PATH)")
    assert checks["auth"]["fix"] == "run `claude auth login`"


# -- the plugin's parts without Codex ------------------------------------------------------------


def test_codex_missing_and_unwritable_codex_home_are_clear_errors(repo: Path, tmp_path: Path) -> None:
    env = codex_env(tmp_path) | {"CCPLUGIN_CODEX_BIN": "", "PATH": "/usr/bin:/bin"}
    missing = ccplugin("install", cwd=repo, env=env)
    assert missing.code == 2
    assert "Codex CLI `codex` not found: install it: `npm install -g @openai/codex`" in missing.err
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    unwritable = codex_env(tmp_path) | {"CODEX_HOME": str(blocker / "codex")}
    run = ccplugin("install", cwd=repo, env=unwritable)
    assert run.code == 2 and "cannot write to the Codex home" in run.err and "CODEX_HOME" in run.err
    setup = ccplugin("setup", "--json", cwd=repo, env=env).json()
    assert {c["name"]: c["ok"] for c in setup["checks"]}["codex"] is False


def test_reservations_are_checked_and_a_failed_start_ends_them(repo: Path, tmp_path: Path) -> None:
    env = codex_env(tmp_path) | {"CODEX_SESSION_ID": "parent-1"}
    job_id = json.loads(ccplugin("reserve", "--kind", "review", "--json", cwd=repo, env=env).out)["job_id"]
    other = ccplugin("review", "--job-id", job_id, cwd=repo, env=env | {"CODEX_SESSION_ID": "other"})
    assert other.code == 2 and "belongs to another Codex session" in other.err
    wrong = ccplugin("adversarial-review", "--job-id", job_id, cwd=repo, env=env)
    assert wrong.code == 2 and "reserved for a review job" in wrong.err
    bad = ccplugin("review", "--job-id", job_id, "--scope", "branch", "--base", "nope", cwd=repo, env=env)
    assert bad.code == 2
    (job,) = jobs(env)
    assert job.state is State.FAILED and "nope" in (job.error or "")
    again = ccplugin("review", "--job-id", job_id, cwd=repo, env=env)
    assert again.code == 2 and "not a waiting reservation (it is failed)" in again.err
