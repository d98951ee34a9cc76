"""The one work-tree snapshot (the rescue's changed files, the Codex stop gate's turn) and the one status parser."""

from __future__ import annotations

from pathlib import Path

from ccplugin import git as cc_git
from ccplugin import tree
from conftest import git


def test_fingerprint_sees_content_edits_new_files_and_nothing_else(repo: Path, tmp_path: Path) -> None:
    before = tree.take(str(repo))
    assert before is not None and before == tree.take(str(repo))
    (repo / "calc.py").write_text("changed\n")
    (repo / "new file.py").write_text("x\n")
    after = tree.take(str(repo))
    assert after is not None and after.signature != before.signature
    assert after.changed_since(before) == ["calc.py", "new file.py"]
    (repo / "calc.py").write_text("changed again\n")
    again = tree.take(str(repo))
    assert again is not None and again.changed_since(after) == ["calc.py"]
    assert tree.Snapshot.from_dict(again.to_dict()) == again
    assert tree.take(str(tmp_path)) is None  # not a git work tree


def test_tree_changes_include_an_already_dirty_file_edited_again(repo: Path) -> None:
    (repo / "calc.py").write_text("dirty\n")
    (repo / "notes.txt").write_text("untracked\n")
    before = tree.take(repo)
    (repo / "calc.py").write_text("dirtier\n")
    (repo / "new.py").write_text("x = 1\n")
    (repo / "notes.txt").unlink()
    after = tree.take(repo)
    assert before is not None and after is not None
    assert after.changed_since(before) == ["calc.py", "new.py", "notes.txt"]
    git(repo, "add", "-A")
    assert tree.take(repo) != after  # staging changes the status code


def test_no_git_means_no_tree_state(tmp_path: Path) -> None:
    assert tree.take(tmp_path) is None


def test_a_snapshot_capped_at_a_limit_says_so(repo: Path) -> None:
    for name in ("a.py", "b.py", "c.py"):
        (repo / name).write_text("x\n")
    capped = tree.take(repo, limit=2)
    assert capped is not None and capped.truncated and len(capped.files) == 2
    whole = tree.take(repo)
    assert whole is not None and not whole.truncated and sorted(whole.files) == ["a.py", "b.py", "c.py"]


def test_the_status_parser_keeps_a_renames_new_path_and_odd_names(repo: Path) -> None:
    (repo / "? old.txt").write_text("x\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "odd")
    git(repo, "mv", "? old.txt", "1 moved.txt")  # the old path's record reads like an untracked entry
    (repo / "? new.txt").write_text("y\n")
    out = cc_git.run(repo, ["status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all"]).out
    head, entries = cc_git.parse_status(out)
    assert head == git(repo, "rev-parse", "HEAD").strip()
    assert [e.path for e in entries] == ["1 moved.txt", "? new.txt"]
    assert entries[0].fields.startswith("2 R") and entries[1].fields == "?"
    assert cc_git.is_dirty(repo, None, lambda p: p == "1 moved.txt")
    assert not cc_git.is_dirty(repo, None, lambda p: p == "old.txt")
