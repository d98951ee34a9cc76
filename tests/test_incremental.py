"""Issue 13 item 2: on a new push only the commits since the last reviewed head go to the model, the earlier
findings on untouched lines are carried forward (moved to their lines now), and the gate is over both; a
force-push or a moved base reviews the whole change. The real claude CLI against the fake API; the fake GitHub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccplugin.review import increment
from ccplugin.review.hunks import parse_hunks
from ccplugin.review.model import Finding, Location, Severity
from ccplugin.testing.runner import OfflineClaude
from conftest import git
from helpers import ccplugin, finding
from support.fake_github import FakeGitHub, files_from_git
from test_ci_github import CALC_HEAD, FINDINGS, PR, UTIL, PullRequest, ci, github, pull, structured

__all__ = ["github", "pull"]  # fixtures shared with the GitHub tests


def _prompt(claude: OfflineClaude, index: int) -> str:
    return claude.fake.message_requests()[index].summary.prompt_text


@pytest.fixture(autouse=True)
def _one_cache(pull: PullRequest) -> None:
    """Every run of a test reads and writes one cache folder, as the Action's restored cache (each fake claude
    has its own state folder)."""
    pull.extra_env["CCPLUGIN_CACHE_DIR"] = str(pull.files / "cache")


def _repost(pull: PullRequest, github: FakeGitHub) -> None:
    github.add_pull(PR, pull.head, pull.base, files_from_git(pull.work, pull.base, pull.head))


@pytest.mark.real_claude
def test_a_second_push_sends_only_its_commits_and_carries_the_earlier_findings(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    first_head = pull.head
    claude = cc_fake_claude(structured(*FINDINGS))
    assert ci(pull, pull.env(claude, github), "--fail-on", "high").code == 1
    (pull.work / "util.py").write_text("# header\n" + UTIL.replace("VALUE_18 = 18", "VALUE_18 = 181"))
    git(pull.work, "commit", "-qam", "tweak util")
    git(pull.work, "push", "-q", "origin", "HEAD:feature")
    pull.head = git(pull.work, "rev-parse", "HEAD").strip()
    _repost(pull, github)
    new = cc_fake_claude(structured(finding("util.py", 19, "medium", "Odd value")))
    second = ci(pull, pull.env(new, github), "--fail-on", "high", "--result-json", str(pull.files / "r.json"))
    assert second.code == 1, second.err  # the carried high finding still gates

    (request,) = new.fake.message_requests()
    sent = request.summary.prompt_text
    assert "VALUE_18 = 181" in sent and "# header" in sent  # the new commit's diff …
    assert "def sub(a, b)" not in sent and "+VALUE_18 = 180" not in sent  # … and nothing of the first push
    assert "def sub(a, b)" in _prompt(claude, 0)

    result = json.loads((pull.files / "r.json").read_text())
    where = {(f["title"], f["file"], f["line_start"], f["location"]) for f in result["review"]["findings"]}
    assert where == {
        ("Odd value", "util.py", 19, Location.ADDED.value),
        ("Sign flipped", "calc.py", 6, Location.ADDED.value),  # untouched file: unchanged
        ("Old naming", "calc.py", 1, Location.CONTEXT.value),
        ("Magic numbers", "util.py", 3, Location.CONTEXT.value),  # a line inserted above: moved 2 → 3
        ("Stale docs", "docs/guide.md", 3, Location.OUTSIDE.value),
    }
    assert result["incremental"] == {"since": first_head, "commits": 1, "carried": 4, "fallback": ""}
    said = f"incremental: 1 new commit(s) reviewed; 4 finding(s) carried forward from the review of {first_head[:12]}"
    assert said in pull.summary()
    assert pull.outputs()["findings-count"] == "5" and pull.outputs()["gating-count"] == "1"


@pytest.mark.real_claude
def test_a_finding_on_lines_the_new_commits_changed_is_not_carried(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    assert ci(pull, pull.env(cc_fake_claude(structured(*FINDINGS)), github), "--fail-on", "high").code == 1
    pull.push("calc.py", CALC_HEAD.replace("return b - a", "return a - b"))  # fixes calc.py:6
    _repost(pull, github)
    second = ci(pull, pull.env(cc_fake_claude(structured()), github), "--fail-on", "high")
    assert second.code == 0, second.err  # the fixed high finding is gone; the rest do not gate
    assert "3 finding(s) carried forward" in pull.summary()


@pytest.mark.real_claude
def test_a_force_push_is_reviewed_whole(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    first_head = pull.head
    assert ci(pull, pull.env(cc_fake_claude(structured(*FINDINGS)), github), "--fail-on", "high").code == 1
    (pull.work / "util.py").write_text(UTIL.replace("VALUE_18 = 18", "VALUE_18 = 182"))
    git(pull.work, "commit", "-q", "--amend", "-am", "add sub, rewritten")
    git(pull.work, "push", "-q", "-f", "origin", "HEAD:feature")
    pull.head = git(pull.work, "rev-parse", "HEAD").strip()
    _repost(pull, github)
    claude = cc_fake_claude(structured())
    assert ci(pull, pull.env(claude, github), "--fail-on", "high").code == 0
    sent = _prompt(claude, 0)
    assert "def sub(a, b)" in sent and "VALUE_18 = 182" in sent  # the whole change again
    assert f"full review: {first_head[:12]} is not an ancestor of {pull.head[:12]} (a force-push)" in pull.summary()


@pytest.mark.real_claude
def test_a_moved_base_is_reviewed_whole(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    assert ci(pull, pull.env(cc_fake_claude(structured(*FINDINGS)), github), "--fail-on", "high").code == 1
    git(pull.work, "checkout", "-q", "main")
    (pull.work / "notes.txt").write_text("from main\n")
    git(pull.work, "add", "notes.txt")
    git(pull.work, "commit", "-qm", "main moves on")
    git(pull.work, "push", "-q", "origin", "main")
    pull.base = git(pull.work, "rev-parse", "HEAD").strip()
    git(pull.work, "checkout", "-q", "feature")
    git(pull.work, "merge", "-q", "--no-edit", "main")  # the base merged in: a new merge base
    git(pull.work, "push", "-q", "origin", "HEAD:feature")
    pull.head = git(pull.work, "rev-parse", "HEAD").strip()
    _repost(pull, github)
    claude = cc_fake_claude(structured())
    assert ci(pull, pull.env(claude, github), "--fail-on", "high").code == 0
    assert "def sub(a, b)" in _prompt(claude, 0)
    assert "full review: the base of the change moved since the last review" in pull.summary()


@pytest.mark.real_claude
def test_a_persons_summary_comment_cannot_name_the_last_head(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    """A copy of the summary comment's markers by someone else, listed before the Action's, is never read."""
    github.add_issue_comment(PR, f"<!-- ccplugin:summary:review -->\n<!-- ccplugin:head={pull.base} -->")
    assert ci(pull, pull.env(cc_fake_claude(structured(*FINDINGS)), github), "--fail-on", "high").code == 1
    assert "full review:" not in pull.summary()  # no incremental review was attempted from the forged head
    pull.push("util.py", UTIL.replace("VALUE_18 = 18", "VALUE_18 = 181"))
    _repost(pull, github)
    claude = cc_fake_claude(structured())
    assert ci(pull, pull.env(claude, github), "--fail-on", "high").code == 1
    assert "VALUE_18 = 181" in _prompt(claude, 0) and "def sub(a, b)" not in _prompt(claude, 0)
    assert "incremental: 1 new commit(s) reviewed" in pull.summary()


# --- the command line: --since <ref|last> ----------------------------------------------------------


@pytest.mark.real_claude
def test_since_last_reviews_the_commits_after_the_last_review(
    pull: PullRequest, cc_fake_claude: type[OfflineClaude]
) -> None:
    work = pull.work
    claude = cc_fake_claude(structured(finding("calc.py", 6)))
    env = dict(claude.env)
    first = ccplugin("review", "--scope", "branch", "--base", "main", "--fail-on", "high", cwd=work, env=env)
    assert first.code == 1, first.err
    (work / "util.py").write_text(UTIL.replace("VALUE_18 = 18", "VALUE_18 = 183"))
    git(work, "commit", "-qam", "again")
    args = ("review", "--scope", "branch", "--base", "main", "--fail-on", "high", "--since", "last", "--json")
    second = ccplugin(*args, cwd=work, env=env)
    assert second.code == 1, second.err  # the carried high finding gates
    sent = _prompt(claude, 1)
    assert "VALUE_18 = 183" in sent and "def sub(a, b)" not in sent
    out = json.loads(second.out)
    assert out["result"]["incremental"]["carried"] == 1 if "result" in out else out["incremental"]["carried"] == 1


def test_since_bad_input_is_one_line(pull: PullRequest) -> None:
    env = {**__import__("os").environ, "HOME": str(pull.files), "CCPLUGIN_HOME": str(pull.files / "state")}
    bad = ccplugin("review", "--scope", "branch", "--base", "main", "--since", "nope", cwd=pull.work, env=env)
    assert bad.code == 2 and bad.err.count("\n") == 1 and "`--since nope` is not a commit" in bad.err
    last = ccplugin("review", "--scope", "branch", "--base", "main", "--since", "last", cwd=pull.work, env=env)
    assert last.code == 2 and "no completed branch review" in last.err
    tree = ccplugin("review", "--scope", "working-tree", "--since", "HEAD", cwd=pull.work, env=env)
    assert tree.code == 2 and "`--since` only applies to a branch review" in tree.err


# --- in-process: what is carried -----------------------------------------------------------------


def _f(line: int, end: int | None = None, file: str = "util.py") -> Finding:
    return Finding(Severity.LOW, "t", "b", file, line, end or line, 0.9, "", fingerprint=f"{line:016x}")


def test_carried_lines_move_with_the_edits_above_them(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "util.py").write_text(UTIL)
    (tmp_path / "gone.py").write_text("x = 1\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "one")
    since = git(tmp_path, "rev-parse", "HEAD").strip()
    edited = UTIL.replace("VALUE_5 = 5\nVALUE_6 = 6\n", "").replace("VALUE_13 = 13", "VALUE_13 = 0")
    (tmp_path / "util.py").write_text("# a\n# b\n# c\n" + edited)  # +3 at the top, −2 at 5–6, 13 changed
    git(tmp_path, "rm", "-q", "gone.py")
    git(tmp_path, "commit", "-qam", "two")
    head = git(tmp_path, "rev-parse", "HEAD").strip()
    whole = parse_hunks(git(tmp_path, "diff", since, head))
    earlier = [_f(2), _f(5), _f(12), _f(13), _f(14, 15), _f(1, file="gone.py"), _f(3, file="never.py")]
    carried = increment.carry(tmp_path, earlier, since, head, whole, None)
    assert [(f.file, f.line_start, f.line_end) for f in carried] == [
        ("util.py", 5, 5),  # +3
        ("util.py", 13, 13),  # +3 −2
        ("util.py", 15, 16),
        ("never.py", 3, 3),  # in neither commit: nothing touched it
    ]


@pytest.mark.real_claude
def test_since_with_no_cache_reviews_the_whole_change(pull: PullRequest, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(structured(finding("calc.py", 6)))
    env = dict(claude.env)
    base = ("review", "--scope", "branch", "--base", "main", "--fail-on", "high")
    assert ccplugin(*base, cwd=pull.work, env=env).code == 1
    (pull.work / "util.py").write_text(UTIL.replace("VALUE_18 = 18", "VALUE_18 = 184"))
    git(pull.work, "commit", "-qam", "again")
    second = ccplugin(*base, "--since", "last", "--no-cache", cwd=pull.work, env=env)
    assert second.code == 1, second.err
    assert "def sub(a, b)" in _prompt(claude, 1)  # the whole change: --no-cache never reads the earlier record
    assert "full review: the cache is off" in second.out
