"""The Codex plugin's parts without Codex: skill contracts, hook input handling, the fast path,
the review gate's memory, fingerprints, feature-flag edits, the launcher."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ccplugin import __version__, tree
from ccplugin.cli.main import build_parser
from ccplugin.codex import fasthook, features, install, materialise, state, stopgate
from ccplugin.codex.codexcli import Feature
from ccplugin.codex.layout import Layout
from ccplugin.jobs.store import State, Store
from ccplugin.review import gate
from ccplugin.review.outcome import FileSummary, InputSummary, ReviewError, ReviewOutcome, TargetSummary
from codex_helpers import hook

SEED_FLAGS = {
    "review": ["--wait", "--background", "--base <ref>", "--scope <auto|working-tree|branch>", "--model <model>"],
    "adversarial-review": ["--wait", "--background", "--base <ref>", "--scope", "--model <model>", "[focus text]"],
    "rescue": [
        "--background",
        "--wait",
        "--resume",
        "--resume-last",
        "--fresh",
        "--write",
        "--model <model>",
        "--effort <low|medium|high|xhigh|max>",
        "--prompt-file <path>",
        "[task text]",
    ],
    "status": ["[job-id]", "--wait", "--all"],
    "result": ["[job-id]"],
    "cancel": ["[job-id]"],
    "setup": ["--enable-review-gate", "--disable-review-gate", "--install-claude <pip|npm>"],
}
EXPLICIT_ONLY = {"status", "result", "cancel", "setup"}


@pytest.fixture
def plugin(tmp_path: Path) -> tuple[Layout, materialise.Tree]:
    layout = Layout(tmp_path / "codex-home")
    return layout, materialise.build(layout, "/opt/py/bin/python3", ["/opt/node/bin"])


def skill(tree: materialise.Tree, name: str) -> tuple[dict[str, str], str]:
    text = tree[f"plugins/cc/skills/{name}/SKILL.md"].data.decode()
    _, head, body = text.split("---\n", 2)
    meta = dict(re.findall(r"^(\w+): '?(.*?)'?$", head, re.MULTILINE))
    return meta, body


# -- skill contracts -----------------------------------------------------------------------------


def plain(flag: str) -> str:
    """A seed flag as a description writes it: no angle brackets (Codex's skill validator refuses them)."""
    return re.sub(r"<([^<>]*)>", lambda m: m[1] if "|" in m[1] else m[1].upper(), flag)


@pytest.mark.parametrize("name", list(SEED_FLAGS))
def test_every_skill_names_its_command_and_the_seed_flags(plugin: tuple[Layout, materialise.Tree], name: str) -> None:
    layout, tree = plugin
    meta, body = skill(tree, name)
    assert meta["name"] == name
    args = meta["description"].split("Args: ", 1)[1]
    for flag in SEED_FLAGS[name]:
        assert plain(flag) in args, f"{name}: {plain(flag)} missing from the description's Args"
        assert flag.split()[0].strip("[]") in body or flag.startswith("["), f"{name}: {flag} not explained"
    assert f"{layout.launcher} {name}" in body  # the absolute launcher path, never a bare `ccplugin`
    assert "{{" not in body and "$ARGUMENTS" in body
    yaml = tree[f"plugins/cc/skills/{name}/agents/openai.yaml"].data.decode()
    assert yaml.startswith('interface:\n  display_name: "Claude Code ')
    assert ("allow_implicit_invocation: false" in yaml) == (name in EXPLICIT_ONLY)


@pytest.mark.parametrize("name", ["review", "adversarial-review", "rescue"])
def test_work_skills_run_in_the_foreground_or_through_a_reserved_subagent(
    plugin: tuple[Layout, materialise.Tree], name: str
) -> None:
    layout, tree = plugin
    _, body = skill(tree, name)
    cc = str(layout.launcher)
    label = name.replace("-", " ")
    assert f"{cc} reserve --kind {name} --json" in body
    assert f"{cc} {name} --job-id <job-id>" in body
    assert f"Background Claude Code {label} finished. Open it with $cc:result <job-id>." in body
    assert "spawn_agent" in body and "tool_search" in body and "one blocking" in body
    assert 'sandbox_permissions: "require_escalated"' in body
    assert "no `&`, `nohup` or `setsid`" in body  # detached children die with the tool call
    # a run outlives one tool call (30 s at most): poll it to its end, never end the turn under it
    assert "`yield_time_ms: 30000`" in body and "`write_stdin` with that\n   > `session_id`" in body
    assert "with escalated permissions (it writes the job store" in body and "`prefix_rule`" in body


def test_cancel_skill_escalates_to_write_the_job_store(plugin: tuple[Layout, materialise.Tree]) -> None:
    _, body = skill(plugin[1], "cancel")
    assert 'sandbox_permissions: "require_escalated"' in body and "`prefix_rule`" in body


def test_setup_skill_asks_before_installing_claude_or_turning_hooks_on(plugin: tuple[Layout, materialise.Tree]) -> None:
    layout, tree = plugin
    _, body = skill(tree, "setup")
    assert "ask the user once whether to install Claude Code" in body
    assert "Install\n   nothing without their yes" in body
    assert f"{layout.launcher} setup --install-claude pip" in body and "with npm if they prefer it" in body
    assert "ask once whether to" in body and f"{layout.launcher} install --enable-hooks" in body
    assert "run the login command it names themselves" in body


def test_review_skills_never_edit_and_rescue_asks_once(plugin: tuple[Layout, materialise.Tree]) -> None:
    layout, tree = plugin
    for name in ("review", "adversarial-review"):
        _, body = skill(tree, name)
        assert "read-only" in body and ("never edits files" in body or "never edit" in body)
        assert "do not fix anything" in body or "do not change code" in body
    _, rescue = skill(tree, "rescue")
    assert f"{layout.launcher} rescue --resume-candidate --json -- <task text>" in rescue
    assert "ask the user once" in rescue
    _, setup = skill(tree, "setup")
    assert f"{layout.launcher} setup --json" in setup and "npm install -g @anthropic-ai/claude-code" in setup


@pytest.mark.parametrize(
    "argv",
    [
        ["review", "--wait", "--base", "main", "--scope", "branch", "--model", "opus", "--effort", "high"],
        ["review", "--job-id", "review-mabc123-abcdef"],
        ["adversarial-review", "--background", "--scope", "auto", "challenge", "the", "design"],
        ["adversarial-review", "--job-id", "adversarial-mabc123-abcdef", "focus"],
        ["rescue", "--resume-last", "--write", "--model", "sonnet", "--effort", "max", "--", "fix", "it"],
        ["rescue", "--fresh", "--prompt-file", "task.md"],
        ["rescue", "--resume-candidate", "--json", "--", "continue"],
        ["status", "review-mabc123-abcdef", "--wait", "--timeout", "30", "--all"],
        ["result", "review-mabc123-abcdef"],
        ["cancel", "review-mabc123-abcdef"],
        ["setup", "--enable-review-gate", "--json"],
        ["reserve", "--kind", "adversarial-review", "--json"],
    ],
)
def test_the_command_lines_skills_run_parse(argv: list[str]) -> None:
    build_parser(argv[0]).parse_args(argv)


# -- the launcher and the marketplace folder ------------------------------------------------------


def test_launcher_holds_the_interpreter_and_tool_folders(plugin: tuple[Layout, materialise.Tree]) -> None:
    _, tree = plugin
    launcher = tree["plugins/cc/bin/ccplugin"]
    text = launcher.data.decode()
    assert launcher.executable and text.startswith("#!/bin/sh\n")
    assert "exec /opt/py/bin/python3 -P -m ccplugin" in text
    assert "-P -c 'from ccplugin.codex.fasthook import main" in text
    assert 'PATH="${PATH:+$PATH:}/opt/node/bin"' in text
    manifest = json.loads(tree["plugins/cc/.codex-plugin/plugin.json"].data)
    assert (manifest["name"], manifest["version"]) == ("cc", __version__)
    hooks = json.loads(tree["plugins/cc/hooks/hooks.json"].data)["hooks"]
    assert sorted(hooks) == ["SessionEnd", "SessionStart", "Stop", "UserPromptSubmit"]
    assert hooks["Stop"][0]["hooks"][0]["timeout"] == 900
    assert all("${PLUGIN_ROOT}/bin/ccplugin" in h["hooks"][0]["command"] for h in (e[0] for e in hooks.values()))


def test_write_tree_is_atomic_and_idempotent(plugin: tuple[Layout, materialise.Tree]) -> None:
    layout, tree = plugin
    assert materialise.write_tree(layout.marketplace, tree)
    assert materialise.read_tree(layout.marketplace) == tree
    assert not materialise.write_tree(layout.marketplace, tree)
    assert sorted(p.name for p in layout.marketplace.parent.iterdir()) == ["marketplace"]


# -- hook input -----------------------------------------------------------------------------------


@pytest.fixture
def hook_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CCPLUGIN_HOME": str(tmp_path / "state")}


@pytest.mark.parametrize(
    ("event", "payload", "message"),
    [
        ("UserPromptSubmit", b"", ""),
        ("SessionStart", b"{not json", "hook input is not valid JSON"),
        ("Stop", b"{", "hook input is not valid JSON"),
        ("UserPromptSubmit", b'{"session_id": "s1', "hook input is not valid JSON"),
        ("Stop", b"[1, 2]", "is JSON list, not an object"),
        ("SessionEnd", b'{"a": 1} trailing', "extra data"),
        ("UserPromptSubmit", b" " * (fasthook.MAX_INPUT + 10), "hook input exceeds 1048576 bytes"),
        ("PreToolUse", b"{}", "unknown hook event 'PreToolUse'"),
        ("", b"{}", "unknown hook event ''"),
    ],
)
def test_bad_hook_input_is_reported_and_the_hook_exits_0(
    event: str, payload: bytes, message: str, hook_env: dict[str, str], tmp_path: Path
) -> None:
    run = hook(event, None, hook_env, tmp_path, raw=payload)
    assert run.code == 0 and run.out == ""
    if message:
        assert run.err.startswith("ccplugin hook: ") and message in run.err
        assert run.err.count("\n") == 1 and "a bug" not in run.err, run.err
    else:
        assert run.err == ""


def test_every_truncation_of_hook_input_is_bad_input_not_a_bug(tmp_path: Path) -> None:
    """In the hook's own interpreter (no `json` imported: the C scanner alone cannot always say why)."""
    whole = json.dumps({"session_id": "s1", "cwd": "/w", "n": [1, -2.5e3, True, None], "s": "\u00e9\\"})
    script = (
        "import io, sys\n"
        "from ccplugin.codex import fasthook\n"
        "whole = sys.argv[1].encode()\n"
        "for cut in range(1, len(whole) + 1):\n"
        "    try:\n"
        "        fasthook.read_input(io.BytesIO(whole[:cut]))\n"
        "        print(cut, 'ok')\n"
        "    except Exception as e:\n"
        "        print(cut, type(e).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-P", "-c", script, whole], capture_output=True, text=True, check=True)
    seen = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert seen == {str(cut): "HookInputError" for cut in range(1, len(whole))} | {str(len(whole)): "ok"}
    layout = Layout(tmp_path / "codex-home")
    materialise.write_tree(layout.marketplace, materialise.build(layout, sys.executable))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CCPLUGIN_HOME": str(tmp_path / "state")}
    launched = subprocess.run([str(layout.launcher), "hook", "Stop"], input=b"{", capture_output=True, env=env)
    assert launched.returncode == 0 and launched.stdout == b""
    assert launched.stderr.decode().startswith("ccplugin hook: hook input is not valid JSON")
    assert launched.stderr.count(b"\n") == 1 and b"a bug" not in launched.stderr


def test_hook_through_the_launcher_with_a_broken_store_still_exits_0(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "codex-home")
    materialise.write_tree(layout.marketplace, materialise.build(layout, sys.executable))
    state_file = tmp_path / "state-is-a-file"
    state_file.write_text("")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CCPLUGIN_HOME": str(state_file)}
    data = json.dumps({"session_id": "s1", "cwd": str(tmp_path)}).encode()
    for event in ("SessionStart", "UserPromptSubmit", "SessionEnd"):
        done = subprocess.run(
            [str(layout.launcher), "hook", event], input=data, capture_output=True, env=env, check=False
        )
        assert done.returncode == 0 and done.stdout == b""
        if event == "SessionStart":
            assert f"make the ccplugin state folder {state_file} writable" in done.stderr.decode()


@pytest.mark.parametrize("text", ['{"a": [1, 2.5, "x\\u00e9", null, true]}', '{"n": -1e3, "s": "\\"q\\""}', "{}"])
def test_hook_json_reader_matches_json(text: str) -> None:
    assert fasthook._loads(text) == json.loads(text)


def finished_job(root: Path, owner: str, state_: State = State.COMPLETED) -> str:
    with Store(root) as store:
        job = store.create(
            kind="review",
            workspace=str(root),
            owner=owner,
            title="Review of working tree diff",
            request={},
            model="m",
            effort=None,
        )
        store.transition(job.id, [State.QUEUED], State.RUNNING)
        store.transition(job.id, [State.RUNNING], state_, result={})
        return job.id


def prompt(session: str, cwd: Path, **extra: Any) -> dict[str, Any]:
    return {
        "session_id": session,
        "cwd": str(cwd),
        "prompt": "next task",
        "hook_event_name": "UserPromptSubmit",
    } | extra


def test_prompt_submit_nudges_once_per_job_and_only_its_own_session(hook_env: dict[str, str], tmp_path: Path) -> None:
    root = Path(hook_env["CCPLUGIN_HOME"])
    mine, theirs = finished_job(root, "s1"), finished_job(root, "s2")
    assert hook("UserPromptSubmit", prompt("s1", tmp_path, agent_id="sub-1"), hook_env, tmp_path).out == ""
    first = hook("UserPromptSubmit", prompt("s1", tmp_path), hook_env, tmp_path)
    assert first.code == 0 and first.err == ""
    assert f"- {mine} (review, completed)" in first.out and f"`$cc:result {mine}` opens it" in first.out
    assert theirs not in first.out
    assert hook("UserPromptSubmit", prompt("s1", tmp_path), hook_env, tmp_path).out == ""
    stamp = state.session_file(root, "s1", ".seen").read_text()
    assert stamp == fasthook.db_stamp(str(root))  # the next prompts take the two-stat fast path
    two = [finished_job(root, "s1", State.FAILED), finished_job(root, "s1")]
    many = hook("UserPromptSubmit", prompt("s1", tmp_path), hook_env, tmp_path).out
    assert many.startswith("2 Claude Code jobs") and all(j in many for j in two) and "$cc:status" in many


def test_prompt_submit_leaves_jobs_alone_when_the_user_asks_for_results(
    hook_env: dict[str, str], tmp_path: Path
) -> None:
    root = Path(hook_env["CCPLUGIN_HOME"])
    job = finished_job(root, "s1")
    asked = hook("UserPromptSubmit", prompt("s1", tmp_path, prompt=f"$cc:result {job}"), hook_env, tmp_path)
    assert asked.out == ""
    with Store(root) as store:
        assert store.get(job).notified_at is None


def test_session_start_ignores_nested_sessions_and_session_end_clears_the_marker(
    hook_env: dict[str, str], tmp_path: Path
) -> None:
    root = Path(hook_env["CCPLUGIN_HOME"])
    nested = hook_env | {"CODEX_SESSION_ID": "outer-session"}
    hook("SessionStart", {"session_id": "inner", "cwd": str(tmp_path)}, nested, tmp_path)
    assert not state.session_file(root, "inner", ".json").exists()
    hook("SessionStart", {"session_id": "s1", "cwd": str(tmp_path), "source": "startup"}, hook_env, tmp_path)
    marker = json.loads(state.session_file(root, "s1", ".json").read_text())
    assert marker["workspace"] == str(tmp_path.resolve()) and marker["source"] == "startup"
    with Store(root) as store:
        queued = store.create(
            kind="review", workspace=str(tmp_path), owner="s1", title="t", request={}, model=None, effort=None
        )
    hook("SessionEnd", {"session_id": "s1", "cwd": str(tmp_path), "agent_id": "child"}, hook_env, tmp_path)
    with Store(root) as store:
        assert store.get(queued.id).state is State.QUEUED  # a subagent's end is not the session's
    ended = hook("SessionEnd", {"session_id": "s1", "cwd": str(tmp_path)}, hook_env, tmp_path)
    assert f"cancelled this session's Claude Code jobs: {queued.id} (cancelled)" in ended.err
    assert not state.session_file(root, "s1", ".json").exists()


# -- the stop gate's memory and answers -----------------------------------------------------------


def fp(signature: str) -> tree.Snapshot:
    return tree.Snapshot(signature, "head", {})


def stop_input(tmp_path: Path, active: bool) -> stopgate.StopInput:
    return stopgate.StopInput(tmp_path, "s1", str(tmp_path), active, {})


def test_gate_never_blocks_more_than_three_times_in_a_row(tmp_path: Path) -> None:
    memory = stopgate.Memory(baseline=fp("before"), last_block="edit-3", blocks=3)
    limit = stopgate._early(stop_input(tmp_path, True), memory, fp("edit-4"))
    assert limit is not None and not limit.block and "blocked 3 times in a row" in limit.text
    assert limit.text.startswith("ALLOW: not reviewed — ") and "NOT reviewed" in limit.text
    same = stopgate._early(stop_input(tmp_path, True), stopgate.Memory(fp("before"), "edit-1", 1), fp("edit-1"))
    assert same is not None and not same.block and same.output() is None
    unchanged = stopgate._early(stop_input(tmp_path, False), stopgate.Memory(fp("x"), None, 2), fp("x"))
    assert unchanged is not None and unchanged.log == "skipped: the turn made no net edits"
    fresh = stopgate.Memory(fp("before"), "old", 2)
    assert stopgate._early(stop_input(tmp_path, False), fresh, fp("edit")) is None and fresh.blocks == 0


def test_gate_lets_codex_stop_with_a_note_when_the_review_could_not_run(tmp_path: Path) -> None:
    policy = gate.GatePolicy("high")
    outcome = ReviewOutcome(
        mode="review",
        gate=gate.error("could not review", policy),
        target=TargetSummary(),
        input=InputSummary(),
        model="m",
        effort=None,
        error=ReviewError("timeout", "Claude Code did not finish within 840 s", "raise --timeout"),
    )
    with Store(tmp_path) as store:
        job = store.create(
            kind="gate", workspace=str(tmp_path), owner="s1", title="t", request={}, model="m", effort=None
        )
        store.transition(job.id, [State.QUEUED], State.RUNNING)
        done = store.transition(job.id, [State.RUNNING], State.FAILED, result=outcome.to_dict())
    assert done is not None
    decision = stopgate.judge(done, "")
    assert not decision.block and "NOT reviewed" in decision.text
    first = decision.text.splitlines()[0]
    assert first.startswith("ALLOW: not reviewed — Claude Code did not finish") and "15-minute cap" in first
    assert json.loads(decision.output() or "{}") == {"systemMessage": decision.text}
    missing = stopgate.judge(None, "not a git repository")
    assert not missing.block and missing.text.startswith("ALLOW: not reviewed — not a git repository\n")


def test_gate_allow_after_a_review_says_what_claude_reviewed(tmp_path: Path) -> None:
    policy = gate.GatePolicy("high")
    files = (FileSummary("a.py", "M"), FileSummary("b.py", "M"))
    outcome = ReviewOutcome(
        "review",
        gate.GateOutcome(gate.GateStatus.PASS, "ok", (), policy),
        TargetSummary(),
        InputSummary(files=files),
        "m",
        None,
    )
    with Store(tmp_path) as store:
        job = store.create(
            kind="gate", workspace=str(tmp_path), owner="s1", title="t", request={}, model="m", effort=None
        )
        store.transition(job.id, [State.QUEUED], State.RUNNING)
        done = store.transition(job.id, [State.RUNNING], State.COMPLETED, result=outcome.to_dict())
    assert done is not None
    decision = stopgate.judge(done, "")
    assert not decision.block
    first, rest = decision.text.split("\n", 1)
    assert first == "ALLOW: Claude reviewed 2 changed files; no finding at or above high"
    assert f"$cc:result {done.id}" in rest
    assert json.loads(decision.output() or "{}") == {"systemMessage": decision.text}


def test_uninstall_removes_only_an_empty_cache_folder(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "ccplugin"
    assert not install.remove_if_empty(folder)  # missing
    (folder / "cc").mkdir(parents=True)
    assert not install.remove_if_empty(folder) and (folder / "cc").is_dir()  # not empty
    (folder / "cc").rmdir()
    assert install.remove_if_empty(folder) and not folder.exists() and folder.parent.is_dir()


def test_block_output_is_codex_stop_json() -> None:
    decision = stopgate.Decision(block=True, text="BLOCK: fix it")
    assert json.loads(decision.output() or "") == {"decision": "block", "reason": "BLOCK: fix it"}


# -- feature flags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '# mine\nmodel = "x"  # m\n\n[features]\n# c\nhooks = false  # off for now\nother = 1\n\n[z]\na = 1\n',
        '# mine\nmodel = "x"\n\n[features]\nweb_search = true\n',
        '# mine\nmodel = "x"\n',
        "",
    ],
)
def test_feature_flags_are_set_and_reverted_byte_for_byte(tmp_path: Path, text: str) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(text)
    listed = {"hooks": Feature("hooks", "stable", False), "plugin_hooks": Feature("plugin_hooks", "beta", False)}
    changes = features.enable(config_file, features.wanted(listed))
    assert [c.name for c in changes] == ["hooks", "plugin_hooks"]
    assert tomllib.loads(config_file.read_text())["features"]["hooks"] is True
    restored = features.revert(config_file, [features.FlagChange.from_dict(c.to_dict()) for c in changes])
    assert restored == ["hooks", "plugin_hooks"] and config_file.read_text() == text


def test_flags_codex_no_longer_knows_or_already_runs_with_are_left_alone() -> None:
    listed = {"hooks": Feature("hooks", "stable", True), "plugin_hooks": Feature("plugin_hooks", "removed", False)}
    assert features.wanted(listed) == []
    assert features.wanted({"codex_hooks": Feature("codex_hooks", "beta", False)}) == ["codex_hooks"]


def test_hook_modules_stay_light() -> None:
    """fasthook needs only os and sys; the handlers never pull in the engine (nor any `git` package)."""
    code = (
        "import sys; before = set(sys.modules); import ccplugin.codex.fasthook as f; "
        "new = {m for m in set(sys.modules) - before if not m.startswith('ccplugin')}; "
        "assert new <= {'__future__'}, new; import ccplugin.codex.hooks; "
        "heavy = {'git', 'ccplugin.review.engine', 'ccplugin.claude.runner'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
