"""The working tree as git records it: a path both deleted from the index and untracked, binary attributes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ccplugin.review import findings
from ccplugin.review.collect import collect
from ccplugin.review.model import Location
from ccplugin.review.target import resolve_target
from conftest import git
from helpers import finding, review_output


def _tree(root: Path) -> Path:
    """Tracked a.txt (10 lines), m.txt (40 lines), z.txt; committed."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("".join(f"a{i}\n" for i in range(1, 11)))
    (root / "m.txt").write_text("".join(f"m{i}\n" for i in range(1, 41)))
    (root / "z.txt").write_text("z\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def test_a_path_deleted_from_the_index_and_untracked_gets_its_own_sections(tmp_path: Path) -> None:
    root = _tree(tmp_path / "w")
    git(root, "rm", "-q", "--cached", "a.txt")
    (root / "m.txt").write_text((root / "m.txt").read_text().replace("m20\n", "m twenty\n"))
    inp = collect(resolve_target(root, "working-tree"))
    assert sorted((f.path, f.status) for f in inp.files) == [("a.txt", "?"), ("a.txt", "D"), ("m.txt", "M")]
    # each entry has its own section's counts; a.txt's two sections never absorb m.txt's between them
    assert inp.context.split("## Files (3)\n\n")[1].split("\n")[:3] == [
        "D a.txt (+0 -10)",
        "M m.txt (+1 -1)",
        "? a.txt (+10 -0)",
    ]
    assert [(h.start, h.end) for h in inp.hunks["a.txt"]] == [(1, 10)]
    placed = findings.parse(review_output(finding("a.txt", 5)), inp.hunks, root).findings[0]
    assert placed.location == Location.ADDED


def test_untracked_files_marked_binary_by_attributes_are_listed_not_inlined(tmp_path: Path) -> None:
    root = _tree(tmp_path / "w")
    (root / ".gitattributes").write_text("*.dat -diff\n*.bin binary\n")
    (root / "table.dat").write_text("secret-looking but text\n")
    (root / "blob.bin").write_text("also text\n")
    (root / "plain.txt").write_text("shown\n")
    inp = collect(resolve_target(root, "working-tree"))
    binary = {f.path for f in inp.files if f.binary}
    assert binary == {"table.dat", "blob.bin"}
    assert "secret-looking" not in inp.diff and "also text" not in inp.diff
    assert "+shown" in inp.diff
    assert "Binary files /dev/null and b/table.dat differ" in inp.diff


def _recorded(root: Path) -> list[tuple[str, ...]]:
    """What `git add -A` would record (on a copy of the index): ``git diff --cached -M --name-status``."""
    index = root / ".git" / "index"
    copy = root.parent / "index-copy"
    copy.write_bytes(index.read_bytes())
    env = {**os.environ, "GIT_INDEX_FILE": str(copy)}
    run = lambda *a: subprocess.run(["git", *a], cwd=root, env=env, check=True, capture_output=True, text=True).stdout  # noqa: E731
    run("add", "-A")
    rows = [tuple(line.split("\t")) for line in run("diff", "--cached", "-M", "--name-status", "HEAD").splitlines()]
    return sorted(rows)


def test_a_plain_mv_is_the_rename_git_add_would_record(tmp_path: Path) -> None:
    root = _tree(tmp_path / "w")
    (root / "m.txt").rename(root / "moved.txt")
    (root / "fresh.txt").write_text("new\n")
    inp = collect(resolve_target(root, "working-tree"))
    assert _recorded(root) == [("A", "fresh.txt"), ("R100", "m.txt", "moved.txt")]
    assert sorted((f.status, f.old_path or "", f.path) for f in inp.files) == [
        ("?", "", "fresh.txt"),
        ("R", "m.txt", "moved.txt"),
    ]
    assert "+m5" not in inp.diff and "rename from m.txt\nrename to moved.txt" in inp.diff
    placed = findings.parse(review_output(finding("moved.txt", 5)), inp.hunks, root).findings[0]
    assert placed.location == Location.IN_FILE  # unchanged code: never gates with --filter-mode added


def test_a_moved_then_edited_file_is_a_rename_with_its_own_counts(tmp_path: Path) -> None:
    root = _tree(tmp_path / "w")
    (root / "m.txt").rename(root / "moved.txt")
    (root / "moved.txt").write_text((root / "moved.txt").read_text().replace("m20\n", "m twenty\n"))
    git(root, "mv", "a.txt", "b.txt")
    (root / "b.txt").write_text((root / "b.txt").read_text().replace("a5\n", "a five\n"))
    (root / "fresh.txt").write_text("new\n")
    before = (root / ".git" / "index").read_bytes()
    inp = collect(resolve_target(root, "working-tree"))
    assert (root / ".git" / "index").read_bytes() == before  # the repository's index is never touched
    recorded = _recorded(root)
    assert [(r[0][0], *r[1:]) for r in recorded] == [
        ("A", "fresh.txt"),
        ("R", "a.txt", "b.txt"),
        ("R", "m.txt", "moved.txt"),
    ]
    assert sorted((f.status, f.old_path or "", f.path) for f in inp.files) == [
        ("?", "", "fresh.txt"),
        ("R", "a.txt", "b.txt"),
        ("R", "m.txt", "moved.txt"),
    ]
    listed = inp.context.split("## Files (3)\n\n")[1].split("\n")[:3]
    assert sorted(listed) == ["? fresh.txt (+1 -0)", "R a.txt -> b.txt (+1 -1)", "R m.txt -> moved.txt (+1 -1)"]
    assert (inp.additions, inp.deletions) == (3, 2)
    assert "rename from m.txt\nrename to moved.txt" in inp.diff and "+m5\n" not in inp.diff
    placed = findings.parse(review_output(finding("moved.txt", 18), finding("moved.txt", 20)), inp.hunks, root)
    assert [f.location for f in placed.findings] == [Location.CONTEXT, Location.ADDED]
    far = findings.parse(review_output(finding("moved.txt", 35)), inp.hunks, root).findings[0]
    assert far.location == Location.IN_FILE  # unchanged code: never gates with --filter-mode added
