"""Where a finding lands, on real histories the tests build, checked against git's own -U0/-U3 output."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from ccplugin.ci.github.pr import place
from ccplugin.review import findings
from ccplugin.review.collect import collect
from ccplugin.review.model import Location
from ccplugin.review.target import resolve_target
from conftest import git
from helpers import finding, review_output

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.M)
NFC_DIR = unicodedata.normalize("NFC", "données")


def _git_lines(repo: Path, path: str, context: int) -> set[int]:
    """New-side lines git's own ``-U<context>`` hunks cover for ``path`` (``-U0``: the added lines)."""
    out = git(repo, "-c", "core.quotePath=off", "diff", f"-U{context}", "main", "feature", "--", path)
    lines: set[int] = set()
    for m in _HUNK.finditer(out):
        start, count = int(m.group(1)), int(m.group(2) or 1)
        lines.update(range(start, start + count))
    return lines


def _expected(repo: Path, path: str, line: int) -> Location:
    if not git(repo, "diff", "--name-only", "main", "feature", "--", path).strip():
        return Location.OUTSIDE
    if line in _git_lines(repo, path, 0):
        return Location.ADDED
    return Location.CONTEXT if line in _git_lines(repo, path, 3) else Location.IN_FILE


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """main → feature: a changed root Makefile beside an untouched doc/Makefile, a non-ASCII and a quoted name."""
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    body = "".join(f"line {i}\n" for i in range(1, 41))
    for name in ("Makefile", "doc/Makefile", f"{NFC_DIR}/é.txt", 'we "ird".txt'):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    for name in ("Makefile", f"{NFC_DIR}/é.txt", 'we "ird".txt'):
        (root / name).write_text(body.replace("line 10\n", "line ten\n").replace("line 30\n", "line thirty\n"))
    git(root, "commit", "-q", "-am", "change")
    return root


def _parsed(repo: Path, file: str, line: int) -> findings.Finding:
    inp = collect(resolve_target(repo, "branch", "main"))
    return findings.parse(review_output(finding(file, line)), inp.hunks, repo).findings[0]


@pytest.mark.parametrize("line", [1, 7, 10, 13, 14, 20, 30, 40])
def test_an_untouched_file_with_a_changed_files_ending_is_outside(history: Path, line: int) -> None:
    parsed = _parsed(history, "doc/Makefile", line)
    assert parsed.location == _expected(history, "doc/Makefile", line) == Location.OUTSIDE
    assert place(parsed, collect(resolve_target(history, "branch", "main")).hunks) is None


@pytest.mark.parametrize("line", [1, 7, 10, 13, 14, 20, 30, 40])
def test_a_changed_file_is_placed_as_git_places_it(history: Path, line: int) -> None:
    assert _parsed(history, "Makefile", line).location == _expected(history, "Makefile", line)


def _spellings(repo: Path) -> list[str]:
    nfd = unicodedata.normalize("NFD", f"{NFC_DIR}/é.txt")
    octal = git(repo, "-c", "core.quotePath=on", "ls-files", "--", f"{NFC_DIR}/é.txt").strip()
    quoted = git(repo, "ls-files", "--", 'we "ird".txt').strip()
    assert octal.startswith('"donn\\303\\251es/') and quoted == '"we \\"ird\\".txt"'  # as git prints them
    return [f"{repo}/{NFC_DIR}/é.txt", f"./{NFC_DIR}/é.txt", f"b/{NFC_DIR}/é.txt", octal, nfd, quoted]


@pytest.mark.parametrize("way", range(6), ids=["absolute", "dot", "b-prefix", "octal", "nfd", "quoted"])
@pytest.mark.parametrize("line", [10, 12, 20])
def test_every_spelling_of_a_path_is_stored_as_git_names_it(history: Path, way: int, line: int) -> None:
    given = _spellings(history)[way]
    name = 'we "ird".txt' if way == 5 else f"{NFC_DIR}/é.txt"
    parsed = _parsed(history, given, line)
    assert parsed.file == name
    assert parsed.location == _expected(history, name, line) != Location.OUTSIDE
    assert parsed.fingerprint == findings.fingerprint(name, parsed.title, parsed.severity)
    assert parsed.from_dict(parsed.to_dict()) == parsed  # the stored path survives the record


def test_a_checkout_with_an_nfd_name_keeps_its_spelling(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "é.txt")
    (tmp_path / nfd).write_text("x\n")
    assert findings.parse(review_output(finding("é.txt", 1)), {}, tmp_path).findings[0].file == nfd


def test_a_line_past_the_end_of_the_file_is_said_to_be_so(history: Path) -> None:
    past = _parsed(history, "Makefile", 41)
    assert "line 41 is past the end of Makefile, which has 40 lines" in past.body
    assert past.location == Location.IN_FILE
    assert "past the end" not in _parsed(history, "Makefile", 40).body


HOSTILE = """[core]
\tquotePath = true
[color]
\tui = always
\tdiff = always
[diff]
\tcontext = 10
\tinterHunkContext = 10
\tnoprefix = true
\tmnemonicPrefix = true
\trelative = true
\talgorithm = patience
\tindentHeuristic = false
\trenames = false
\trenameLimit = 1
\torderFile = /nonexistent/order
\tsuppressBlankEmpty = true
\tcolorMoved = zebra
\twsErrorHighlight = all
\tignoreSubmodules = all
\tsubmodule = diff
\texternal = false
"""


def test_a_hostile_gitconfig_changes_nothing_ccplugin_parses(history: Path, tmp_path: Path) -> None:
    (history / "sub").mkdir()
    (history / "sub/moved.txt").write_text("".join(f"row {i}\n" for i in range(30)))
    git(history, "add", "-A")
    git(history, "commit", "-q", "-m", "sub")
    git(history, "mv", "sub/moved.txt", "sub/renamed.txt")
    text = (history / "Makefile").read_text().replace("line 18\n", "line eighteen\n")
    (history / "Makefile").write_text(text)
    git(history, "commit", "-q", "-am", "rename and a second nearby change")
    clean = collect(resolve_target(history, "branch", "main"))
    between = _expected(history, "Makefile", 14)  # git -U3 with the default configuration: between two hunks
    assert between == Location.IN_FILE
    (Path.home() / ".gitconfig").write_text(HOSTILE)
    hostile = collect(resolve_target(history / "sub", "branch", "main"))
    assert hostile.diff == clean.diff
    assert hostile.files == clean.files
    placed = findings.parse(review_output(finding("Makefile", 14)), hostile.hunks, history).findings[0]
    assert placed.location == between
