"""Review input against real git: targets, base detection, bad input, and what collect() returns."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ccplugin.ci.github import provider as github
from ccplugin.errors import CCError, Exit
from ccplugin.review.collect import (
    MAX_UNTRACKED_BYTES,
    PathFilter,
    ReviewInput,
    collect,
    line_counts,
    path_matches,
)
from ccplugin.review.hunks import classify, parse_hunks
from ccplugin.review.model import FileChange, Location
from ccplugin.review.target import Target, resolve_target
from conftest import env_with, git


def commit_all(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def sha(root: Path, rev: str = "HEAD") -> str:
    return git(root, "rev-parse", rev).strip()


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def by_path(inp: ReviewInput) -> dict[str, FileChange]:
    return {f.path: f for f in inp.files}


def raises(fn: object, *args: object, **kwargs: object) -> CCError:
    assert callable(fn)
    with pytest.raises(CCError) as info:
        fn(*args, **kwargs)
    assert info.value.exit_code == Exit.USAGE
    assert info.value.fix, "every error names its fix"
    return info.value


@pytest.fixture
def feature(repo: Path) -> Path:
    """``repo`` on branch ``feature`` one commit ahead of ``main``; main then moves on too."""
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "calc.py", "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n")
    commit_all(repo, "add sub")
    git(repo, "checkout", "-q", "main")
    write(repo, "main_only.py", "print('main moved on')\n")
    commit_all(repo, "main moves on")
    git(repo, "checkout", "-q", "feature")
    return repo


@pytest.fixture
def bare_origin(tmp_path: Path, feature: Path) -> Path:
    """A bare clone of ``feature``'s repo, to clone from (``origin``)."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(feature), str(bare))
    git(bare, "symbolic-ref", "HEAD", "refs/heads/main")
    return bare


# --- targets ---------------------------------------------------------------------------


def test_auto_on_a_clean_main_is_a_branch_review_with_nothing_to_review(repo: Path) -> None:
    target = resolve_target(repo)
    assert (target.scope, target.base_ref, target.merge_base, target.head) == ("branch", "main", sha(repo), sha(repo))
    assert target.repo_root == Path(os.path.realpath(repo))
    assert target.label == f"branch diff against main (merge-base {sha(repo)[:7]})"
    inp = collect(target)
    assert (inp.input_mode, inp.files, inp.diff, inp.context) == ("nothing", (), "", "")
    assert inp.to_summary()["input_mode"] == "nothing"


@pytest.mark.parametrize("kind", ["unstaged", "staged", "untracked"])
def test_auto_on_a_dirty_tree_is_a_working_tree_review(repo: Path, kind: str) -> None:
    if kind == "untracked":
        write(repo, "new.py", "x = 1\n")
    else:
        write(repo, "calc.py", "def add(a, b):\n    return b + a\n")
        if kind == "staged":
            git(repo, "add", "calc.py")
    target = resolve_target(repo / ".")
    assert (target.scope, target.base_ref, target.merge_base, target.label) == (
        "working-tree",
        None,
        None,
        "working tree diff",
    )
    assert target.head == sha(repo)
    assert collect(target).input_mode == "inline"


def test_ignored_files_do_not_make_the_tree_dirty(repo: Path) -> None:
    write(repo, ".gitignore", "*.log\n")
    commit_all(repo, "ignore logs")
    write(repo, "debug.log", "noise\n")
    assert resolve_target(repo).scope == "branch"
    assert collect(resolve_target(repo, "working-tree")).input_mode == "nothing"


def test_resolve_from_a_subdirectory(repo: Path) -> None:
    write(repo, "pkg/mod.py", "y = 2\n")
    target = resolve_target(repo / "pkg")
    assert target.repo_root == Path(os.path.realpath(repo))
    assert [f.path for f in collect(target).files] == ["pkg/mod.py"]


def test_working_tree_has_staged_unstaged_untracked_and_deleted(repo: Path) -> None:
    write(repo, "keep.txt", "keep\n")
    write(repo, "doomed.txt", "bye\n")
    commit_all(repo, "more files")
    write(repo, "calc.py", "def add(a, b):\n    return a + b + 0\n")  # unstaged
    write(repo, "staged.py", "s = 1\n")
    git(repo, "add", "staged.py")
    write(repo, "keep.txt", "keep\nmore\n")
    git(repo, "add", "keep.txt")
    write(repo, "keep.txt", "keep\nmore\nand more\n")  # staged and then unstaged again
    (repo / "doomed.txt").unlink()
    write(repo, "fresh.py", "def f():\n    return 1\n")
    inp = collect(resolve_target(repo))
    assert {f.path: f.status for f in inp.files} == {
        "calc.py": "M",
        "doomed.txt": "D",
        "keep.txt": "M",
        "staged.py": "A",
        "fresh.py": "?",
    }
    assert "+and more" in inp.diff and "+more" in inp.diff  # HEAD → work tree, staged or not
    assert "+++ b/fresh.py" in inp.diff and "+def f():" in inp.diff
    assert (inp.additions, inp.deletions) == (6, 2)
    assert classify("fresh.py", 2, 2, inp.hunks) == Location.ADDED
    assert classify("keep.txt", 1, 1, inp.hunks) == Location.CONTEXT
    assert classify("doomed.txt", 1, 1, inp.hunks) == Location.IN_FILE
    assert classify("calc.py", 1, 1, inp.hunks) == Location.CONTEXT
    assert classify("setup.py", 1, 1, inp.hunks) == Location.OUTSIDE
    assert inp.context.startswith("## Change\n\nworking tree diff: 5 file(s), +6 -2.\n")
    assert "? fresh.py (+2 -0)" in inp.context and "D doomed.txt (+0 -1)" in inp.context
    assert inp.context.endswith(inp.diff)


def test_branch_scope_is_merge_base_to_head_only(feature: Path) -> None:
    target = resolve_target(feature)  # clean tree: auto → branch
    merge_base = sha(feature, "main~1")
    assert (target.scope, target.base_ref, target.merge_base) == ("branch", "main", merge_base)
    assert target.label == f"branch diff against main (merge-base {merge_base[:7]})"
    inp = collect(target)
    assert [(f.path, f.status) for f in inp.files] == [("calc.py", "M")]
    assert "main_only.py" not in inp.diff
    assert "## Commits\n\n" in inp.context and "add sub" in inp.context
    assert classify("calc.py", 5, 6, inp.hunks) == Location.ADDED
    write(feature, "scratch.py", "uncommitted = True\n")  # the branch diff ignores the work tree
    assert [f.path for f in collect(resolve_target(feature, "branch")).files] == ["calc.py"]


def test_target_round_trips_through_json(feature: Path) -> None:
    target = resolve_target(feature)
    again = Target.from_dict(json.loads(json.dumps(target.to_dict())))
    assert again == target
    summary = collect(target).to_summary()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["files"] == [{"path": "calc.py", "status": "M", "binary": False}]
    assert (summary["additions"], summary["deletions"], summary["target"]) == (4, 0, target.to_dict())
    assert summary["diff_bytes"] > 0


def test_detached_head_still_reviews_the_branch(feature: Path) -> None:
    git(feature, "checkout", "-q", "--detach", "feature")
    target = resolve_target(feature)
    assert target.scope == "branch" and target.head == sha(feature)
    assert target.label.startswith("branch diff of detached HEAD against main (merge-base ")
    assert [f.path for f in collect(target).files] == ["calc.py"]


# --- base detection --------------------------------------------------------------------


def test_explicit_base_wins_and_implies_a_branch_review(feature: Path) -> None:
    git(feature, "branch", "old", "main~1")
    write(feature, "dirty.py", "d = 1\n")  # dirty, yet --base asks for the branch
    target = resolve_target(feature, base="old")
    assert (target.scope, target.base_ref, target.merge_base) == ("branch", "old", sha(feature, "old"))
    assert resolve_target(feature, base=sha(feature, "main")).base_ref == sha(feature, "main")


def test_unknown_base_names_it_and_the_fetch(feature: Path) -> None:
    err = raises(resolve_target, feature, "auto", "release/9")
    assert err.message == "base ref `release/9` not found"
    assert "`git fetch origin release/9`" in err.fix and "--base" in err.fix
    assert "release/9" in raises(resolve_target, feature, "branch", "origin/release/9").fix
    raises(resolve_target, feature, "branch", "--output=/tmp/x")  # never an option to git


def test_origin_head_names_the_default_branch(tmp_path: Path, bare_origin: Path) -> None:
    git(bare_origin, "branch", "-q", "-m", "main", "develop")
    git(bare_origin, "symbolic-ref", "HEAD", "refs/heads/develop")  # the remote's default
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare_origin), str(clone))
    git(clone, "checkout", "-q", "-b", "topic")
    write(clone, "topic.py", "t = 1\n")
    commit_all(clone, "topic")
    target = resolve_target(clone)
    assert (target.base_ref, target.merge_base) == ("origin/develop", sha(clone, "origin/develop"))
    assert [f.path for f in collect(target).files] == ["topic.py"]
    # --base main falls back to origin/<name> when there is no local branch of that name
    assert resolve_target(clone, base="feature").base_ref == "origin/feature"


def on_github(base_ref: str) -> dict[str, Any]:
    """A GitHub Actions run for a pull request into ``base_ref``: the provider reads the hint, the request has it."""
    env = env_with(GITHUB_BASE_REF=base_ref)
    return {"env": env, "hint": github.base_hint(env)}


def test_github_base_ref_prefers_origin(tmp_path: Path, bare_origin: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare_origin), str(clone))
    git(clone, "checkout", "-q", "-b", "pr", "origin/feature")
    write(clone, "pr.py", "p = 1\n")
    commit_all(clone, "pr work")
    target = resolve_target(clone, **on_github("feature"))
    assert (target.base_ref, target.merge_base) == ("origin/feature", sha(clone, "origin/feature"))
    assert [f.path for f in collect(target).files] == ["pr.py"]
    err = raises(resolve_target, clone, **on_github("release"))
    assert err.message == "base branch `release` (from GITHUB_BASE_REF) is not in this clone"
    assert "`git fetch origin release`" in err.fix and "fetch-depth: 0" in err.fix
    assert resolve_target(clone, **on_github("")).base_ref == "origin/main"


def test_github_base_ref_falls_back_to_a_local_branch(feature: Path) -> None:
    git(feature, "branch", "stable", "main~1")
    target = resolve_target(feature, **on_github("stable"))
    assert target.base_ref == "stable"


@pytest.mark.parametrize("name", ["master", "trunk"])
def test_master_and_trunk_are_defaults_too(tmp_path: Path, name: str) -> None:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", name)
    write(root, "a.txt", "a\n")
    commit_all(root, "a")
    git(root, "checkout", "-q", "-b", "work")
    write(root, "a.txt", "b\n")
    commit_all(root, "b")
    assert resolve_target(root).base_ref == name


def test_no_default_branch_says_pass_base(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "develop")
    write(root, "a.txt", "a\n")
    commit_all(root, "a")
    err = raises(resolve_target, root)
    assert err.message.startswith("cannot detect the default branch")
    assert err.fix == "pass `--base <ref>` or use `--scope working-tree`"
    assert resolve_target(root, "working-tree").scope == "working-tree"


# --- bad input -------------------------------------------------------------------------


def test_not_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    err = raises(resolve_target, plain)
    assert err.message == f"{plain} is not inside a git repository"
    assert "`git init`" in err.fix
    assert "does not exist" in raises(resolve_target, tmp_path / "missing").message


def test_inside_the_git_dir_is_not_a_work_tree(repo: Path) -> None:
    assert "not inside a git work tree" in raises(resolve_target, repo / ".git").message


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the repository to another user")
def test_repository_of_another_user(repo: Path) -> None:
    subprocess.run(["chown", "-R", "nobody", str(repo)], check=True)
    err = raises(resolve_target, repo)
    assert err.message == f"git refuses to read the repository at {repo}: it belongs to another user"
    assert err.fix == f"if you trust it, run `git config --global --add safe.directory {repo}`"


def test_git_missing(repo: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    err = raises(resolve_target, repo, env=env_with(PATH=str(empty)))
    assert err.message == "git is not installed or not on PATH"
    assert "`git --version`" in err.fix


def test_unknown_scope_and_base_with_working_tree(repo: Path) -> None:
    err = raises(resolve_target, repo, "staged")
    assert err.message == "unknown review scope 'staged'"
    assert "`--scope working-tree`" in err.fix
    assert "--base" in raises(resolve_target, repo, "working-tree", "main").message


def test_repository_without_commits(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    target = resolve_target(root)  # auto → working tree: every file is new
    assert (target.scope, target.head) == ("working-tree", None)
    assert "no commits yet" in target.label
    assert collect(target).input_mode == "nothing"
    write(root, "staged.py", "s = 1\n")
    git(root, "add", "staged.py")
    write(root, "loose.py", "l = 1\n")
    inp = collect(resolve_target(root))
    assert {f.path: f.status for f in inp.files} == {"staged.py": "A", "loose.py": "?"}
    assert (inp.additions, inp.deletions) == (2, 0)
    err = raises(resolve_target, root, "branch")
    assert err.message == "the repository has no commits yet, so there is no branch to compare"
    assert "`--scope working-tree`" in err.fix


def test_shallow_clone_without_the_merge_base(tmp_path: Path, bare_origin: Path) -> None:
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", bare_origin.as_uri(), str(clone))
    git(clone, "checkout", "-q", "feature")
    err = raises(resolve_target, clone, "branch")
    assert err.message == "this is a shallow clone and the merge base of HEAD and origin/main is not in it"
    assert "`git fetch --unshallow`" in err.fix and "`fetch-depth: 0`" in err.fix
    # a single-branch shallow clone has no base at all: that is the unknown-base error
    single = tmp_path / "single"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", bare_origin.as_uri(), str(single))
    assert "fetch-depth: 0" in raises(resolve_target, single, **on_github("main")).fix


def test_unrelated_history_is_not_called_shallow(feature: Path) -> None:
    git(feature, "checkout", "-q", "--orphan", "island")
    commit_all(feature, "island")
    err = raises(resolve_target, feature, "branch", "main")
    assert err.message == "HEAD and main have no common history"


# --- what collect() returns ------------------------------------------------------------


def test_binary_files_are_listed_never_inlined(feature: Path) -> None:
    payload = bytes(range(256)) * 4
    write(feature, "logo.png", payload)
    commit_all(feature, "logo")
    inp = collect(resolve_target(feature))
    assert by_path(inp)["logo.png"] == FileChange("logo.png", "A", None, True)
    assert "Binary files /dev/null and b/logo.png differ" in inp.diff
    assert "A logo.png (binary, not shown)" in inp.context
    before = inp.digest()
    write(feature, "logo.png", payload[::-1])  # same size, other bytes
    commit_all(feature, "logo 2")
    assert collect(resolve_target(feature)).digest() != before
    # untracked and work-tree binaries too
    write(feature, "blob.bin", b"\0\1\2" * 100)
    write(feature, "logo.png", payload[1:] + b"\0")
    inp = collect(resolve_target(feature))
    assert by_path(inp)["blob.bin"] == FileChange("blob.bin", "?", None, True)
    assert by_path(inp)["logo.png"].binary
    assert "\x01\x02" not in inp.diff and "\x01\x02" not in inp.context
    digest = inp.digest()
    write(feature, "blob.bin", b"\0\2\1" * 100)
    assert collect(resolve_target(feature)).digest() != digest


def test_renames_keep_the_old_path(feature: Path) -> None:
    git(feature, "mv", "calc.py", "arith.py")
    write(feature, "arith.py", (feature / "arith.py").read_text() + "\n\ndef mul(a, b):\n    return a * b\n")
    inp = collect(resolve_target(feature))  # working tree (staged rename + edit)
    assert by_path(inp)["arith.py"] == FileChange("arith.py", "R", "calc.py", False)
    assert "R calc.py -> arith.py (+4 -0)" in inp.context
    assert classify("arith.py", 10, 10, inp.hunks) == Location.ADDED


def test_pure_rename_on_the_branch(repo: Path) -> None:
    write(repo, "big.txt", "".join(f"line {n}\n" for n in range(50)))
    commit_all(repo, "big")
    git(repo, "checkout", "-q", "-b", "topic")
    git(repo, "mv", "big.txt", "moved.txt")
    commit_all(repo, "rename")
    inp = collect(resolve_target(repo))
    assert [(f.path, f.status, f.old_path) for f in inp.files] == [("moved.txt", "R", "big.txt")]
    assert "rename from big.txt" in inp.diff and (inp.additions, inp.deletions) == (0, 0)
    assert "R big.txt -> moved.txt (+0 -0)" in inp.context
    assert classify("moved.txt", 3, 3, inp.hunks) == Location.IN_FILE
    assert classify("big.txt", 3, 3, inp.hunks) == Location.OUTSIDE


WEIRD = [
    "with space.py",
    "new\nline.py",
    "tab\there.py",
    'quo"te.py',
    "back\\slash.py",
    "ünïcödé-日本.py",
    "-leading-dash.py",
    "--double.py",
    "dir with space/ä b.py",
]


def test_awkward_file_names(repo: Path) -> None:
    for name in WEIRD:
        write(repo, name, f"# {name!r}\nvalue = 1\n")
    commit_all(repo, "awkward names")
    for name in WEIRD:
        write(repo, name, f"# {name!r}\nvalue = 2\n")
        write(repo, "untracked/" + name, "fresh = True\n")
    inp = collect(resolve_target(repo))
    paths = by_path(inp)
    assert set(paths) == set(WEIRD) | {"untracked/" + n for n in WEIRD}
    assert all(paths[n].status == "M" for n in WEIRD)
    assert (inp.additions, inp.deletions) == (2 * len(WEIRD), len(WEIRD))
    parsed = parse_hunks(inp.diff)
    assert set(parsed) == set(paths)
    for name in WEIRD:
        assert classify(name, 2, 2, inp.hunks) == Location.ADDED, name
        assert classify("untracked/" + name, 1, 1, inp.hunks) == Location.ADDED, name
        assert inp.hunks[name] == parsed[name]
    assert '"new\\nline.py"' in inp.context and "ünïcödé-日本.py" in inp.context
    # the same names through a branch diff, and through a filter that drops some of them
    commit_all(repo, "more")
    git(repo, "branch", "base", "HEAD~1")
    inp = collect(resolve_target(repo, "branch", "base"), exclude=["untracked/"])
    assert {f.path for f in inp.files} == set(WEIRD)
    assert all(classify(n, 2, 2, inp.hunks) == Location.ADDED for n in WEIRD)


def test_type_change_is_one_file(repo: Path) -> None:
    (repo / "calc.py").unlink()
    (repo / "calc.py").symlink_to("elsewhere.py")
    inp = collect(resolve_target(repo))
    assert [(f.path, f.status) for f in inp.files] == [("calc.py", "T")]
    assert inp.diff.count("diff --git a/calc.py b/calc.py") == 2
    assert (inp.additions, inp.deletions) == (1, 2)
    assert classify("calc.py", 1, 1, inp.hunks) == Location.ADDED


def test_mode_only_change_is_listed(repo: Path) -> None:
    (repo / "calc.py").chmod(0o755)
    inp = collect(resolve_target(repo))
    assert [(f.path, f.status) for f in inp.files] == [("calc.py", "M")]
    assert "new mode 100755" in inp.diff and inp.input_mode == "inline"


def test_untracked_oddities_are_listed_and_skipped(repo: Path) -> None:
    nested = repo / "vendor-repo"
    nested.mkdir()
    git(nested, "init", "-q")
    write(nested, "x.txt", "x\n")
    git(nested, "add", "x.txt")
    git(nested, "commit", "-q", "-m", "x")
    (repo / "link.py").symlink_to("calc.py")
    (repo / "dangling").symlink_to("nowhere")
    write(repo, "huge.sql", "-- row\n" * (MAX_UNTRACKED_BYTES // 7 + 10))
    write(repo, "empty.txt", "")
    write(repo, "script.sh", "#!/bin/sh\necho hi")
    (repo / "script.sh").chmod(0o755)
    inp = collect(resolve_target(repo))
    assert inp.skipped == {
        "dangling": "symlink",
        "huge.sql": f"{(repo / 'huge.sql').stat().st_size} bytes, over the {MAX_UNTRACKED_BYTES}-byte limit "
        "for untracked files",
        "link.py": "symlink",
        "vendor-repo/": "untracked directory (a nested repository)",
    }
    assert {f.path for f in inp.files} == set(inp.skipped) | {"empty.txt", "script.sh"}
    assert "-- row" not in inp.diff
    assert "? link.py (not shown: symlink)" in inp.context
    assert "diff --git a/empty.txt b/empty.txt\nnew file mode 100644\n" in inp.diff
    assert "new file mode 100755" in inp.diff and "\\ No newline at end of file" in inp.diff
    assert (inp.additions, inp.deletions) == (2, 0)
    assert inp.hunks["script.sh"][0].added == frozenset({1, 2})
    digest = inp.digest()
    write(repo, "huge.sql", "-- row\n" * (MAX_UNTRACKED_BYTES // 7 + 11))
    assert collect(resolve_target(repo)).digest() != digest


def test_untracked_matches_git_own_new_file_diff(repo: Path) -> None:
    """Our new-file sections parse the same as git's for the same file (intent-to-add)."""
    text = "first\n\n  indented\n+plus\n-minus\nlast without newline"
    for name in ("plain.txt", "sp ace.txt", 'q"uote.txt'):
        write(repo, name, text)
    ours = collect(resolve_target(repo))
    git(repo, "add", "--intent-to-add", ".")
    theirs = collect(resolve_target(repo))
    assert [f.status for f in ours.files] == ["?"] * 3 and [f.status for f in theirs.files] == ["A"] * 3
    assert parse_hunks(ours.diff) == parse_hunks(theirs.diff)
    assert (ours.additions, ours.deletions) == (theirs.additions, theirs.deletions) == (18, 0)
    ours_lines = [ln for ln in ours.diff.splitlines() if not ln.startswith("index ")]
    theirs_lines = [ln for ln in theirs.diff.splitlines() if not ln.startswith("index ")]
    assert ours_lines == theirs_lines


def test_empty_change_is_nothing(repo: Path) -> None:
    inp = collect(resolve_target(repo, "working-tree"))
    assert inp.input_mode == "nothing" and inp.files == () and inp.hunks == {}
    assert classify("calc.py", 1, 1, inp.hunks) == Location.OUTSIDE
    write(repo, "calc.py", (repo / "calc.py").read_text())  # touched, same content
    assert collect(resolve_target(repo, "working-tree")).input_mode == "nothing"


def test_include_and_exclude(repo: Path) -> None:
    for rel in ("src/app.py", "src/gen/schema_pb2.py", "vendor/lib/x.js", "yarn.lock", "docs/a.md", "docs/b/c.md"):
        write(repo, rel, "one\n")
    everything = collect(resolve_target(repo))
    assert len(everything.files) == 6
    only = collect(resolve_target(repo), include=["src/**"], exclude=["**/gen/**"])
    assert [f.path for f in only.files] == ["src/app.py"]
    dropped = collect(resolve_target(repo), exclude=["*.lock", "vendor/", "docs/*.md"])
    assert [f.path for f in dropped.files] == ["docs/b/c.md", "src/app.py", "src/gen/schema_pb2.py"]
    assert "yarn.lock" not in dropped.diff and "vendor" not in dropped.context
    assert dropped.digest() != everything.digest()
    commit_all(repo, "all")
    git(repo, "branch", "base", "HEAD~1")
    branch = collect(resolve_target(repo, "branch", "base"), exclude=["*.lock", "vendor/", "docs/*.md"])
    assert [f.path for f in branch.files] == ["docs/b/c.md", "src/app.py", "src/gen/schema_pb2.py"]
    assert "yarn.lock" not in branch.diff and set(parse_hunks(branch.diff)) == {f.path for f in branch.files}
    assert collect(resolve_target(repo, "branch", "base"), include=["nothing/**"]).input_mode == "nothing"


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("yarn.lock", "*.lock", True),
        ("web/yarn.lock", "*.lock", True),
        ("web/yarn.lock", "/*.lock", False),
        ("src/a.py", "src/*.py", True),
        ("src/sub/a.py", "src/*.py", False),
        ("src/sub/a.py", "src/**/*.py", True),
        ("src/a.py", "src/**/*.py", True),
        ("src/a.py", "**/a.py", True),
        ("a.py", "**/a.py", True),
        ("vendor/x/y.js", "vendor", True),
        ("lib/vendor/y.js", "vendor", True),
        ("vendor", "vendor/", False),
        ("vendor/y.js", "vendor/", True),
        ("vendor/y.js", "vendor/**", True),
        ("vendorx/y.js", "vendor/**", False),
        ("src/gen/a_pb2.py", "*_pb2.py", True),
        ("docs/a.md", "./docs/*.md", True),
        ("a1.py", "a?.py", True),
        ("a12.py", "a?.py", False),
        ("b.py", "[abc].py", True),
        ("d.py", "[!abc].py", True),
        ("a.py", "[!abc].py", False),
        ("a+b.py", "a+b.py", True),
        ("x/(y).py", "x/(y).py", True),
        ("anything/at/all", "**", True),
    ],
)
def test_path_matches(path: str, pattern: str, expected: bool) -> None:
    assert path_matches(path, pattern) is expected


def test_path_filter_is_false_without_patterns() -> None:
    assert not PathFilter([], [" "])
    assert PathFilter(["src/**"], []) and PathFilter(["src/**"], [])("src/a")


def test_over_budget_is_self_collect_with_commands(feature: Path) -> None:
    for n in range(30):
        write(feature, f"pkg/m{n:02d}.py", "".join(f"line_{n}_{i} = {i}\n" for i in range(40)))
    commit_all(feature, "lots")
    target = resolve_target(feature)
    inline = collect(target)
    assert inline.input_mode == "inline" and inline.diff_bytes > 20_000
    small = collect(target, budget_bytes=20_000)
    assert small.input_mode == "self-collect"
    assert small.diff == inline.diff and small.diff_bytes == inline.diff_bytes
    assert small.digest() != inline.digest()  # a different prompt input
    rng = f"{target.merge_base}..{target.head}"
    assert f"`git diff --no-ext-diff {rng} -- <path>`" in small.context
    assert f"`git diff --no-ext-diff --stat {rng}`" in small.context
    assert "not included" in small.context and "## Diff" not in small.context
    assert "+line_0_1 = 1" not in small.context
    assert "A pkg/m29.py" in small.context  # the file list stays complete under the cap
    assert classify("pkg/m07.py", 5, 5, small.hunks) == Location.ADDED
    assert small.to_summary()["input_mode"] == "self-collect"


def test_self_collect_file_list_is_capped_and_says_so(repo: Path) -> None:
    for n in range(400):
        write(repo, f"many/file_{n:04d}_with_a_long_name_to_fill_the_list.txt", f"{n}\n")
    inp = collect(resolve_target(repo), budget_bytes=1000)
    assert inp.input_mode == "self-collect" and len(inp.files) == 400
    assert "more files; list them all with `git diff --no-ext-diff --name-status" in inp.context
    assert "`git ls-files --others --exclude-standard`" in inp.context
    assert "Files marked `?` are untracked (new): read them whole." in inp.context
    assert len(inp.context) < 6000


def test_digest_is_stable_and_tracks_content(repo: Path) -> None:
    write(repo, "calc.py", "def add(a, b):\n    return b + a\n")
    write(repo, "new.txt", "one\n")
    first = collect(resolve_target(repo)).digest()
    assert collect(resolve_target(repo)).digest() == first
    write(repo, "new.txt", "two\n")
    assert collect(resolve_target(repo)).digest() != first
    assert len(first) == 64 and int(first, 16) >= 0


def test_non_utf8_content_stays_distinct_and_the_prompt_stays_utf8(repo: Path) -> None:
    write(repo, "latin.txt", "caf\xe9\n".encode("latin-1"))
    commit_all(repo, "latin")
    write(repo, "latin.txt", "caf\xe8\n".encode("latin-1"))
    one = collect(resolve_target(repo))
    write(repo, "latin.txt", "caf\xea\n".encode("latin-1"))
    two = collect(resolve_target(repo))
    assert one.digest() != two.digest()
    one.context.encode("utf-8")  # no lone surrogates in the text for the prompt
    assert "caf\ufffd" in one.context


def test_line_counts_ignore_content_that_looks_like_headers(repo: Path) -> None:
    write(repo, "q.sql", "-- keep\n-- old comment\nselect 1;\n")
    commit_all(repo, "sql")
    write(repo, "q.sql", "-- keep\n++ new thing\n+++ b/not-a-header\nselect 1;\n")
    inp = collect(resolve_target(repo))
    numstat = git(repo, "diff", "--numstat", "HEAD").split()
    assert (inp.additions, inp.deletions) == (int(numstat[0]), int(numstat[1])) == (2, 1)
    assert line_counts(inp.diff) == (2, 1)


def test_big_change_is_collected_without_parsing_hunks_up_front(repo: Path) -> None:
    for n in range(1500):
        write(repo, f"d{n % 10}/f{n:04d}.txt", f"{n}\n" * 5)
    inp = collect(resolve_target(repo))
    assert len(inp.files) == 1500 and inp.input_mode == "inline"
    assert inp.additions == 7500
    assert classify(f"d3/f{1493:04d}.txt", 5, 5, inp.hunks) == Location.ADDED


def test_collect_leaves_the_index_alone(repo: Path) -> None:
    index = repo / ".git" / "index"
    before = index.stat().st_mtime_ns
    write(repo, "calc.py", "changed = True\n")
    collect(resolve_target(repo))
    assert index.stat().st_mtime_ns == before


def test_git_runs_with_our_settings_despite_user_config(repo: Path) -> None:
    for key, value in [
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("diff.external", "false"),
        ("color.ui", "always"),
        ("core.quotepath", "true"),
        ("diff.relative", "true"),
        ("diff.suppressBlankEmpty", "true"),
    ]:
        git(repo, "config", key, value)
    write(repo, "ünï.py", "a\n\nb\n")
    commit_all(repo, "u")
    write(repo, "ünï.py", "a\n\nc\n")
    inp = collect(resolve_target(repo))
    assert [f.path for f in inp.files] == ["ünï.py"]
    assert inp.diff.startswith("diff --git a/ünï.py b/ünï.py\n") and "\x1b[" not in inp.diff
    assert "\n \n" in inp.diff  # the blank context line keeps its space
    assert classify("ünï.py", 3, 3, inp.hunks) == Location.ADDED


def test_review_inside_a_hook_style_environment(repo: Path) -> None:
    """``env`` reaches git: GIT_DIR/GIT_WORK_TREE from a caller are honoured."""
    write(repo, "calc.py", "changed = True\n")
    elsewhere = repo.parent / "elsewhere"
    elsewhere.mkdir()
    env = env_with(GIT_DIR=str(repo / ".git"), GIT_WORK_TREE=str(repo))
    target = resolve_target(elsewhere, env=env)
    assert target.repo_root == Path(os.path.realpath(repo))
    assert [f.path for f in collect(target, env=env).files] == ["calc.py"]


def test_git_failure_is_a_ccerror(repo: Path) -> None:
    target = resolve_target(repo)
    broken = Target(target.repo_root, "branch", "main", "0" * 40, target.head, "broken")
    err = raises(collect, broken)
    assert err.message.startswith("`git ") and "failed: fatal:" in err.message


def test_subprocess_fixture_sanity() -> None:
    # the tests above rely on a real git
    assert subprocess.run(["git", "--version"], capture_output=True, check=True).returncode == 0


def test_excluded_changes_do_not_make_auto_a_working_tree_review(repo: Path) -> None:
    from ccplugin.review import engine

    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "commit", "-qam", "feature change")
    (repo / "reports").mkdir()
    (repo / "reports" / "junit.xml").write_text("<testsuite/>\n")
    request = engine.ReviewRequest(cwd=str(repo), base="main")
    assert engine.prepare(request).target.scope == "branch"
    auto = engine.ReviewRequest(cwd=str(repo))
    assert engine.prepare(auto).target.scope == "working-tree"  # the untracked report counts...
    excluded = engine.ReviewRequest(cwd=str(repo), exclude=("reports/",))
    assert engine.prepare(excluded).target.scope == "branch"  # ...unless it is excluded
