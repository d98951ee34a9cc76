"""Coverage: a self-collected review counts only what successful tool results showed of the change.

The real claude CLI against the fake API runs each scripted call; the review is over budget
(``--budget-bytes 10``), so the reviewer gets the file list and must read the change itself.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from ccplugin.ci import merge
from ccplugin.claude.stream import parse
from ccplugin.claude.types import ToolCall
from ccplugin.codex import stopgate
from ccplugin.review import coverage
from ccplugin.review.gate import GateOutcome, GatePolicy, GateStatus
from ccplugin.review.model import FileChange
from ccplugin.review.outcome import InputSummary, ReviewOutcome, TargetSummary
from ccplugin.testing import reply, structured_output, tool_use
from ccplugin.testing.runner import OfflineClaude
from conftest import git
from helpers import ccplugin, review_output
from test_ci_github import make_pr

SELF_COLLECT = ("review", "--budget-bytes", "10", "--fail-on", "low", "--json")


@pytest.fixture
def changed(repo: Path) -> Path:
    """calc.py is modified, gone.py deleted, extra.py new (untracked); README is unchanged."""
    (repo / "README").write_text("read me\n")
    (repo / "gone.py").write_text("OLD = 1\n")
    git(repo, "add", "README", "gone.py")
    git(repo, "commit", "-qm", "readme")
    (repo / "calc.py").write_text("def add(a, b):\n    return b - a\n")
    (repo / "gone.py").unlink()
    (repo / "extra.py").write_text("X = 1\n")
    return repo


def calls(*steps: tuple[str, dict[str, Any]]) -> list[object]:
    """The reviewer makes ``steps`` one per turn, then approves."""
    script: list[object] = [reply(tool_use(name, args), turn=i) for i, (name, args) in enumerate(steps)]
    return [*script, reply(structured_output(review_output()), tool_offered="StructuredOutput")]


def outside(repo: Path) -> str:
    path = repo.parent / "outside.txt"
    path.write_text("not the change\n")
    return str(path)


SAW_NOTHING = {
    "echo": lambda repo: ("Bash", {"command": "echo hi"}),
    "glob-no-match": lambda repo: ("Glob", {"pattern": "nothing*.zz"}),
    "read-missing": lambda repo: ("Read", {"file_path": str(repo / "missing.py")}),
    "read-deleted": lambda repo: ("Read", {"file_path": str(repo / "gone.py")}),  # a changed path, but it failed
    "git-show-bad-commit": lambda repo: ("Bash", {"command": "git show deadbeef"}),
    "read-outside": lambda repo: ("Read", {"file_path": outside(repo)}),
    "read-etc-hostname": lambda repo: ("Read", {"file_path": "/etc/hostname"}),
    "read-unchanged": lambda repo: ("Read", {"file_path": str(repo / "README")}),
    "diff-stat-only": lambda repo: ("Bash", {"command": "git diff --stat HEAD"}),
    "grep": lambda repo: ("Grep", {"pattern": "return", "path": "calc.py", "output_mode": "content"}),
}


@pytest.mark.real_claude
@pytest.mark.parametrize("case", list(SAW_NOTHING))
def test_a_call_that_showed_none_of_the_change_is_saw_nothing(
    changed: Path, cc_fake_claude: type[OfflineClaude], case: str
) -> None:
    claude = cc_fake_claude(calls(SAW_NOTHING[case](changed)))
    run = ccplugin(*SELF_COLLECT, cwd=changed, env=claude.env)
    assert run.code == 3, (run.out, run.err)
    out = run.json()
    assert (out["gate"]["status"], out["error"]["kind"]) == ("error", "saw-nothing")
    assert out["coverage"] == {"basis": "tools", "covered_files": 0, "changed_files": 3, "paths": []}
    assert out["review"] is None


COVERED = {
    "git-diff-range": (lambda repo: [("Bash", {"command": "git diff HEAD"})], ["calc.py", "gone.py"]),
    "git-diff-piped": (lambda repo: [("Bash", {"command": "git diff HEAD 2>&1 | head -200"})], ["calc.py", "gone.py"]),
    "git-diff-one-path": (lambda repo: [("Bash", {"command": "git diff --no-ext-diff HEAD -- calc.py"})], ["calc.py"]),
    "read-both": (
        lambda repo: [("Read", {"file_path": str(repo / "calc.py")}), ("Read", {"file_path": "./extra.py"})],
        ["calc.py", "extra.py"],
    ),
    "everything": (
        lambda repo: [("Bash", {"command": "git diff HEAD"}), ("Read", {"file_path": str(repo / "extra.py")})],
        ["calc.py", "gone.py", "extra.py"],
    ),
    "failed-then-read": (
        lambda repo: [("Bash", {"command": "git show deadbeef"}), ("Read", {"file_path": "extra.py"})],
        ["extra.py"],
    ),
}


@pytest.mark.real_claude
@pytest.mark.parametrize("case", list(COVERED))
def test_a_reviewer_that_diffs_or_reads_the_change_passes(
    changed: Path, cc_fake_claude: type[OfflineClaude], case: str
) -> None:
    steps, seen = COVERED[case]
    claude = cc_fake_claude(calls(*steps(changed)))
    run = ccplugin(*SELF_COLLECT, cwd=changed, env=claude.env)
    assert run.code == 0, (run.out, run.err)
    out = run.json()
    assert (out["gate"]["status"], out["input_mode"]) == ("pass", "self-collect")
    assert out["coverage"] == {"basis": "tools", "covered_files": len(seen), "changed_files": 3, "paths": seen}
    shown = ccplugin("result", out["job_id"], cwd=changed, env=claude.env)
    partial = "; partial" if len(seen) < 3 else ""
    assert f"- Coverage: {len(seen)} of 3 changed files (read or diffed by the reviewer{partial})" in shown.out


@pytest.mark.real_claude
def test_an_inline_review_covers_every_file_by_its_prompt(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(calls())
    run = ccplugin("review", "--json", cwd=changed, env=claude.env)
    assert run.code == 0, run.err
    assert run.json()["coverage"] == {"basis": "prompt", "covered_files": 3, "changed_files": 3, "paths": []}


@pytest.mark.real_claude
def test_coverage_is_in_every_ci_surface(tmp_path: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    pull = make_pr(tmp_path / "pr")
    claude = cc_fake_claude(calls(("Bash", {"command": f"git diff {pull.base} {pull.head} -- calc.py"})))
    junit, sarif, result = (pull.files / name for name in ("cc.xml", "cc.sarif", "result.json"))
    files = ("--junit", str(junit), "--sarif", str(sarif), "--result-json", str(result))
    run = ccplugin(
        "ci", "github", "--budget-bytes", "10", "--fail-on", "high", *files, cwd=pull.work, env=pull.env(claude, None)
    )
    assert run.code == 0, (run.out, run.err)
    line = "1 of 2 changed files (read or diffed by the reviewer; partial)"
    assert f"- Coverage: {line}" in pull.summary()
    gate = ET.parse(junit).getroot().find(".//testcase[@name='gate']")
    assert gate is not None
    props = {p.get("name"): p.get("value") for p in gate.iter("property")}
    assert props == {"coverage": line, "coverage_basis": "tools", "covered_files": "1", "changed_files": "2"}
    run_props = json.loads(sarif.read_text())["runs"][0]["properties"]
    assert run_props["coverage"] == {"basis": "tools", "covered_files": 1, "changed_files": 2, "paths": ["calc.py"]}
    assert json.loads(result.read_text())["coverage"]["paths"] == ["calc.py"]


# --- the pure parts: which tool results show which changed files --------------------------------

ROOT = Path("/work/repo")
FILES = (FileChange("calc.py", "M"), FileChange("new name.py", "R", "old.py"), FileChange("é.py", "A"))


def covered(*calls: ToolCall) -> tuple[str, ...]:
    return coverage.of_tools(FILES, calls, ROOT).covered


def test_diff_headers_are_matched_to_changed_paths_however_git_writes_them() -> None:
    def bash(*headers: str) -> ToolCall:
        return ToolCall("Bash", "git show HEAD", ok=True, diff_headers=headers)

    assert covered(bash("diff --git a/calc.py b/calc.py")) == ("calc.py",)
    assert covered(bash("diff --git a/old.py b/new name.py")) == ("new name.py",)  # a rename, a space
    assert covered(bash('diff --git "a/\\303\\251.py" "b/\\303\\251.py"')) == ("é.py",)  # core.quotepath
    assert covered(bash("diff --git c/calc.py w/calc.py")) == ("calc.py",)  # diff.mnemonicPrefix
    assert covered(bash("diff --git calc.py calc.py")) == ("calc.py",)  # diff.noprefix
    assert covered(bash("diff --git a/sub/calc.py b/sub/calc.py")) == ()  # another file of that name


def test_only_successful_reads_and_plain_git_commands_count() -> None:
    header = ("diff --git a/calc.py b/calc.py",)
    assert covered(ToolCall("Read", "calc.py", ok=True)) == ("calc.py",)
    assert covered(ToolCall("Read", str(ROOT / "sub" / ".." / "calc.py"), ok=True)) == ("calc.py",)
    assert covered(ToolCall("Read", "calc.py", ok=False)) == ()  # failed or denied
    assert covered(ToolCall("Read", "calc.py", ok=None)) == ()  # no result came back
    assert covered(ToolCall("Read", "/elsewhere/calc.py", ok=True)) == ()
    assert covered(ToolCall("Read", "../repo2/calc.py", ok=True)) == ()
    assert covered(ToolCall("Read", "/work/repo2/calc.py", ok=True)) == ()  # a sibling with the same prefix
    assert covered(ToolCall("Bash", "git diff HEAD", ok=True, diff_headers=header)) == ("calc.py",)
    assert covered(ToolCall("Bash", "git diff HEAD", ok=False, diff_headers=header)) == ()
    for command in ("git diff HEAD 2>&1", "git diff HEAD | head -50", "git log -p 2>&1 | tail -n 400"):
        assert covered(ToolCall("Bash", command, ok=True, diff_headers=header)) == ("calc.py",), command
    forged = (
        "cat x.patch",
        "git log; cat x.patch",
        "git diff && echo",
        "echo $(git diff)",
        "git log | cat x.patch",
        "git log | head x.patch",
        "git log | sed s/x/y/",
        "git log || cat x.patch",
        "git log > /dev/null < x.patch",
        "",
    )
    for command in forged:
        assert covered(ToolCall("Bash", command, ok=True, diff_headers=header)) == (), command
    assert covered(ToolCall("Grep", "calc.py", ok=True)) == ()


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def test_the_parser_pairs_each_result_with_its_call() -> None:
    def use(use_id: str, name: str, args: dict[str, Any]) -> bytes:
        block = {"type": "tool_use", "id": use_id, "name": name, "input": args}
        return _line({"type": "assistant", "message": {"content": [block]}, "parent_tool_use_id": None})

    def result(use_id: str, content: object, is_error: bool | None = None) -> bytes:
        block = {"type": "tool_result", "tool_use_id": use_id, "content": content, "is_error": is_error}
        return _line({"type": "user", "message": {"content": [block]}})

    diff = "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-a\n+b"
    stream = [
        use("t1", "Read", {"file_path": "/work/repo/calc.py"}),
        use("t2", "Bash", {"command": "git diff HEAD"}),
        result("t2", [{"type": "text", "text": diff}]),
        result("t1", "File does not exist.", is_error=True),
        use("t3", "Bash", {"command": "git log -p\n" + "x" * 600}),  # too long to keep: never counts
        result("t3", diff),
        use("t4", "Glob", {"pattern": "*.zz"}),
        result("unknown", "stray"),
    ]
    got = parse(stream, root="/work/repo").tool_calls
    assert got == (
        ToolCall("Read", "calc.py", ok=False),
        ToolCall("Bash", "git diff HEAD", ok=True, diff_headers=("diff --git a/calc.py b/calc.py",)),
        ToolCall("Bash", "", ok=True, diff_headers=("diff --git a/calc.py b/calc.py",)),
        ToolCall("Glob", "*.zz", ok=None),
    )


# --- surfaces that summarise: the stop gate's ALLOW line, merged shards ----------------------------


def _outcome(status: GateStatus, files: list[str], seen: coverage.Coverage | None) -> ReviewOutcome:
    inp = {"input_mode": "self-collect", "files": [{"path": p, "status": "M"} for p in files]}
    policy = GatePolicy("high")
    given = InputSummary.from_dict(inp)
    return ReviewOutcome(
        "review", GateOutcome(status, "ok", (), policy), TargetSummary(), given, "m", None, coverage=seen
    )


def test_the_stop_gate_says_how_much_of_a_partly_covered_change_claude_reviewed() -> None:
    seen = coverage.Coverage(coverage.Basis.TOOLS, ("a.py",), 3)
    text = stopgate.allow_message(_outcome(GateStatus.PASS, ["a.py", "b.py", "c.py"], seen), "review-1")
    assert text.startswith("ALLOW: Claude reviewed 1 of 3 changed files; no finding at or above high\n")


def test_merged_shards_add_up_their_coverage() -> None:
    prompt = coverage.Coverage(coverage.Basis.PROMPT, (), 1)
    tools = coverage.Coverage(coverage.Basis.TOOLS, ("b.py",), 2)
    shards = [
        merge.Shard("one", _outcome(GateStatus.PASS, ["a.py"], prompt), "job-1"),
        merge.Shard("two", _outcome(GateStatus.PASS, ["b.py", "c.py"], tools), "job-2"),
    ]
    assert merge.combine(shards).coverage == coverage.Coverage(coverage.Basis.TOOLS, ("a.py", "b.py"), 3)
    both_inline = [merge.Shard(n, _outcome(GateStatus.PASS, ["a.py"], prompt), f"job-{n}") for n in ("one", "two")]
    assert merge.combine(both_inline).coverage == coverage.Coverage(coverage.Basis.PROMPT, (), 2)
    unknown = [shards[0], merge.Shard("three", _outcome(GateStatus.ERROR, ["d.py"], None), "job-3")]
    assert merge.combine(unknown).coverage is None


def test_what_the_parser_keeps_of_tool_results_is_bounded() -> None:
    from ccplugin.claude import stream as st

    lines = []
    for i in range(st.TOOLS_CAP + 50):
        block = {"type": "tool_use", "id": f"t{i}", "name": "Bash", "input": {"command": "git log -p"}}
        lines.append(_line({"type": "assistant", "message": {"content": [block]}}))
        many = "\n".join(f"diff --git a/f{i}_{j}.py b/f{i}_{j}.py" for j in range(20))
        lines.append(
            _line(
                {
                    "type": "user",
                    "message": {"content": [{"type": "tool_result", "tool_use_id": f"t{i}", "content": many}]},
                }
            )
        )
    got = parse(lines).tool_calls
    assert len(got) == st.TOOLS_CAP
    assert sum(len(c.diff_headers) for c in got) == st.DIFF_HEADERS_CAP
