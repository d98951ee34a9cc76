"""A finding's path and text as every surface gets them: repo-relative or outside, no control characters."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccplugin import controls
from ccplugin.review import findings
from ccplugin.review.hunks import parse_hunks
from ccplugin.review.paths import OUTSIDE, repo_path
from conftest import git
from helpers import ESCAPES, controls_in, finding, review_output

CHANGED = ("calc.py", "src/b/x.py", "b/keep.py")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("calc.py", "calc.py"),
        ("./calc.py", "calc.py"),
        (" src//b/./x.py ", "src/b/x.py"),
        ("src\\b\\x.py", "src/b/x.py"),
        ("b/calc.py", "calc.py"),  # a diff prefix
        ("a/src/b/x.py", "src/b/x.py"),
        ("b/keep.py", "b/keep.py"),  # a real folder named b: not a prefix
        ("b/other.py", "b/other.py"),  # not a changed path: kept as written
        ("{root}/calc.py", "calc.py"),
        ("{root}/src/../calc.py", "calc.py"),
        ("../../../other-org/repo/blob/main/x", OUTSIDE),
        ("src/../../x.py", OUTSIDE),
        ("/etc/passwd", OUTSIDE),
        ("{root}", OUTSIDE),
        ("{root}-evil/calc.py", OUTSIDE),
        ("//host/share", OUTSIDE),
        ("..", OUTSIDE),
        (".", OUTSIDE),
        ("   ", OUTSIDE),
        ("\x1b[2J", "[2J"),
        ("calc.py\x00\r\n", "calc.py"),
        (OUTSIDE, OUTSIDE),
        ("https://github.com/other-org/repo/blob/main/x", "https:/github.com/other-org/repo/blob/main/x"),
    ],
)
def test_repo_path(tmp_path: Path, given: str, expected: str) -> None:
    assert repo_path(given.format(root=tmp_path), tmp_path, CHANGED) == expected


def test_without_a_root_every_absolute_path_is_outside(tmp_path: Path) -> None:
    assert repo_path(f"{tmp_path}/calc.py") == OUTSIDE
    assert repo_path(f"{tmp_path}/calc.py", tmp_path) == "calc.py"


def test_an_absolute_path_through_a_linked_root(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert repo_path(f"{real}/calc.py", tmp_path / "link") == "calc.py"


def test_control_characters_go_newline_and_tab_stay() -> None:
    kept = "line one\n\tline two · naïve 👩‍💻 ✓"
    assert controls.clean(kept) == kept
    assert controls.clean("a\r\nb\rc") == "a\nbc"
    for name, sequence in ESCAPES.items():
        assert controls_in(controls.clean(f"x{sequence}y")) == [], name


def test_the_parsed_finding_carries_the_normalised_path_and_fingerprint(repo: Path) -> None:
    """JSON, SARIF, annotations, waivers and fingerprints all read the stored path: one value."""
    (repo / "calc.py").write_text("x = 1\n")
    diff = git(repo, "diff", "--no-ext-diff", "HEAD")
    hunks = parse_hunks(diff) if diff else {}
    ways = ("calc.py", "./calc.py", "b/calc.py", f"{repo}/calc.py")
    parsed = [findings.parse(review_output(finding(way, 1)), hunks, repo).findings[0] for way in ways]
    assert {f.file for f in parsed} == {"calc.py"}
    assert len({f.fingerprint for f in parsed}) == 1
    title = findings.parse(review_output(finding("calc.py", 1, title=f"T{ESCAPES['screen clear']}")), hunks, repo)
    assert title.findings[0].title == "T[2J[H"
    assert title.findings[0].fingerprint == findings.fingerprint("calc.py", "T[2J[H", "high")
