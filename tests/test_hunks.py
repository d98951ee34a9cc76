from __future__ import annotations

import difflib
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ccplugin import git
from ccplugin.review.hunks import LazyHunks, changed_path, classify, parse_hunks, section_path
from ccplugin.review.model import Hunk, Location

DIFF = """\
diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,6 +1,7 @@
 one
 two
-three
+THREE
+three and a half
 four
 five
 six
@@ -20,4 +21,4 @@ def tail():
 twenty
 twenty-one
-twenty-two
+TWENTY-TWO
 twenty-three
diff --git a/old name.txt b/new name.txt
similarity index 90%
rename from old name.txt
rename to new name.txt
index 3333333..4444444 100644
--- a/old name.txt\t
+++ b/new name.txt\t
@@ -1,2 +1,2 @@
-a
+A
 b
diff --git a/gone.py b/gone.py
deleted file mode 100644
index 5555555..0000000
--- a/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
-x
-y
diff --git a/logo.png b/logo.png
index 6666666..7777777 100644
Binary files a/logo.png and b/logo.png differ
diff --git "a/we\\"ird\\nname" "b/we\\"ird\\nname"
new file mode 100644
--- /dev/null
+++ "b/we\\"ird\\nname"
@@ -0,0 +1 @@
+hello
\\ No newline at end of file
"""


@pytest.fixture(scope="module")
def hunks() -> dict[str, tuple[Hunk, ...]]:
    return parse_hunks(DIFF)


def test_parse_hunks_paths_and_ranges(hunks: dict[str, tuple[Hunk, ...]]) -> None:
    assert list(hunks) == ["src/app.py", "new name.txt", "gone.py", "logo.png", 'we"ird\nname']
    assert hunks["src/app.py"] == (
        Hunk(1, 7, frozenset({3, 4})),
        Hunk(21, 24, frozenset({23})),
    )
    assert hunks["new name.txt"] == (Hunk(1, 2, frozenset({1})),)
    assert hunks["gone.py"] == ()  # nothing on the new side
    assert hunks["logo.png"] == ()
    assert hunks['we"ird\nname'] == (Hunk(1, 1, frozenset({1})),)


@pytest.mark.parametrize(
    ("path", "start", "end", "expected"),
    [
        ("src/app.py", 3, 3, Location.ADDED),
        ("src/app.py", 1, 2, Location.CONTEXT),
        ("src/app.py", 2, 3, Location.ADDED),  # a range that reaches an added line
        ("src/app.py", 7, 7, Location.CONTEXT),
        ("src/app.py", 8, 20, Location.IN_FILE),
        ("src/app.py", 10, 21, Location.CONTEXT),
        ("src/app.py", 24, 23, Location.ADDED),  # reversed range
        ("src/app.py", 100, 120, Location.IN_FILE),
        ("src/app.py", 1, 10_000, Location.ADDED),
        ("gone.py", 1, 1, Location.IN_FILE),
        ("logo.png", 1, 1, Location.IN_FILE),
        ("other.py", 3, 3, Location.OUTSIDE),
        ("", 3, 3, Location.OUTSIDE),
        ("./src/app.py", 3, 3, Location.ADDED),
        ("src//app.py", 3, 3, Location.ADDED),
        ("b/src/app.py", 3, 3, Location.ADDED),
        ("/home/me/repo/src/app.py", 3, 3, Location.OUTSIDE),  # absolute: made relative by parse (it knows the root)
        (" src/app.py ", 3, 3, Location.ADDED),
        ("app.py", 3, 3, Location.OUTSIDE),  # a bare basename is not guessed
        ("new name.txt", 1, 1, Location.ADDED),
        ('we"ird\nname', 1, 1, Location.ADDED),
    ],
)
def test_classify(hunks: dict[str, tuple[Hunk, ...]], path: str, start: int, end: int, expected: Location) -> None:
    assert classify(path, start, end, hunks) == expected


def test_changed_path_is_exact_never_a_suffix() -> None:
    paths = {"Makefile", "src/app.py"}
    assert changed_path("./src/app.py", paths) == "src/app.py"
    assert changed_path("doc/Makefile", paths) is None
    assert changed_path("/abs/repo/src/app.py", paths) is None
    assert changed_path("lib/src/app.py", paths) is None


def test_section_path_forms() -> None:
    assert section_path("diff --git a/x y b/x y\nold mode 100644\nnew mode 100755\n") == "x y"
    assert section_path('diff --git "a/t\\tb" "b/t\\tb"\nold mode 100644\nnew mode 100755\n') == "t\tb"
    assert section_path("diff --git a/a b/b\nsimilarity index 100%\nrename from a\nrename to b\n") == "b"


def test_plain_unified_diff_without_git_headers() -> None:
    text = "".join(difflib.unified_diff(["a\n", "b\n"], ["a\n", "c\n"], "a/f.txt", "b/f.txt"))
    assert parse_hunks(text) == {"f.txt": (Hunk(1, 2, frozenset({2})),)}
    assert parse_hunks("") == {}


def test_lazy_hunks_match_parse_hunks() -> None:
    names = [
        ("src/app.py", "src/app.py"),
        ("old name.txt", "new name.txt"),
        ("gone.py", "gone.py"),
        ("logo.png", "logo.png"),
        ('we"ird\nname', 'we"ird\nname'),
        ("untracked-dir/", "untracked-dir/"),
    ]
    lazy = LazyHunks(DIFF, names)
    assert len(lazy) == 6 and "gone.py" in lazy and "nope" not in lazy
    assert lazy["untracked-dir/"] == ()
    assert {k: lazy[k] for k in parse_hunks(DIFF)} == parse_hunks(DIFF)
    with pytest.raises(KeyError):
        lazy["nope"]
    assert classify("./src/app.py", 23, 23, lazy) == Location.ADDED


# --- properties ------------------------------------------------------------------------

lines = st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "", "x = 1", "return"]), max_size=40)


def _with_newlines(items: list[str]) -> list[str]:
    return [f"{item}\n" for item in items]


@settings(max_examples=300, deadline=None)
@given(old=lines, new=lines)
def test_difflib_diff_classifies_every_line_exactly(old: list[str], new: list[str]) -> None:
    a, b = _with_newlines(old), _with_newlines(new)
    assume(a != b)
    diff = "diff --git a/f.txt b/f.txt\n" + "".join(difflib.unified_diff(a, b, "a/f.txt", "b/f.txt"))
    hunks = parse_hunks(diff)
    opcodes = [op for op in difflib.SequenceMatcher(None, a, b).get_opcodes() if op[0] != "equal"]
    added = {n + 1 for tag, _, _, j1, j2 in opcodes if tag in ("insert", "replace") for n in range(j1, j2)}
    for line in range(1, len(b) + 1):
        got = classify("f.txt", line, line, hunks)
        if line in added:
            assert got == Location.ADDED, line
            continue
        # an unchanged line is in a hunk when it is within 3 lines of a change (git's -U3)
        near = any(j1 + 1 - 3 <= line <= j2 + 3 for _, _, _, j1, j2 in opcodes)
        assert got == (Location.CONTEXT if near else Location.IN_FILE), line
    if b:
        assert classify("f.txt", 1, len(b), hunks) == (Location.ADDED if added else Location.CONTEXT)
    assert classify("elsewhere.txt", 1, 1, hunks) == Location.OUTSIDE


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=lines, new=lines)
def test_real_git_diff_marks_every_new_line_added(old: list[str], new: list[str]) -> None:
    a, b = "".join(_with_newlines(old)), "".join(_with_newlines(new))
    assume(a != b)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "old.txt").write_text(a)
        Path(tmp, "new.txt").write_text(b)
        done = subprocess.run(
            ["git", *git.CONFIG, "diff", "--no-index", "--no-ext-diff", "--", "old.txt", "new.txt"],
            cwd=tmp,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
    assert done.returncode == 1, done.stderr
    hunks = parse_hunks(done.stdout)
    assert list(hunks) == ["new.txt"]
    new_lines = b.splitlines()
    verdicts = [classify("new.txt", n, n, hunks) for n in range(1, len(new_lines) + 1)]
    plus_lines = [ln for ln in done.stdout.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert verdicts.count(Location.ADDED) == len(plus_lines)
    for n, (text, verdict) in enumerate(zip(new_lines, verdicts, strict=True), start=1):
        if text not in old:  # any diff algorithm must add a line the old file never had
            assert verdict == Location.ADDED, n
        if verdict == Location.IN_FILE:  # -U3: an added line always has its neighbours in its hunk
            assert Location.ADDED not in verdicts[max(0, n - 4) : n + 3], n


def test_a_no_newline_marker_inside_a_hunk_is_not_a_line(tmp_path: Path) -> None:
    """git's ``\\ No newline at end of file`` after a removed last line, then added lines: real git output."""
    (tmp_path / "old.txt").write_bytes(b"a\nb")
    (tmp_path / "new.txt").write_bytes(b"a\nb\nc\n")
    done = subprocess.run(
        ["git", *git.CONFIG, "diff", "--no-index", "--no-ext-diff", "--", "old.txt", "new.txt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert "-b\n\\ No newline at end of file\n+b\n+c\n" in done.stdout
    expected = (Hunk(1, 3, frozenset({2, 3})),)
    assert parse_hunks(done.stdout)["new.txt"] == expected
    assert LazyHunks(done.stdout, [("old.txt", "new.txt")])["new.txt"] == expected
    assert classify("new.txt", 2, 2, LazyHunks(done.stdout, [("old.txt", "new.txt")])) == Location.ADDED
