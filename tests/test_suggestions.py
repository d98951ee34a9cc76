"""Fixes you can commit (issue 13 item 5): a finding's optional `replacement`, validated, shown as a diff,
applied by `ccplugin review --apply FINGERPRINT` — refused when the lines changed since the review.

The real claude CLI against the fake API, real git."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from ccplugin.review.model import Suggestion
from ccplugin.testing import reply, structured_output
from ccplugin.testing.runner import OfflineClaude
from conftest import git
from helpers import CliRun, ccplugin, finding, review_output

pytestmark = pytest.mark.real_claude

HEAD = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n"
FIXED = HEAD.replace("return b - a", "return a - b")


@pytest.fixture
def changed(repo: Path) -> Path:
    (repo / "calc.py").write_text(HEAD)
    return repo


def fix(file: str, line: int, replacement: object, end: int | None = None, title: str = "Sign flipped") -> Any:
    return finding(file, line, title=title, end=end) | {"replacement": replacement}


def scripted(fake: type[OfflineClaude], *findings: dict[str, object]) -> OfflineClaude:
    return fake([reply(structured_output(review_output(*findings)), tool_offered="StructuredOutput")])


def review(root: Path, fake: type[OfflineClaude], *findings: dict[str, object]) -> tuple[CliRun, dict[str, str]]:
    claude = scripted(fake, *findings)
    return ccplugin("review", "--json", "--no-cache", cwd=root, env=claude.env), dict(claude.env)


def test_a_suggestion_is_recorded_shown_as_a_diff_and_the_diff_applies_with_git(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    run, env = review(changed, cc_fake_claude, fix("calc.py", 6, "    return a - b"))
    assert run.code == 0, run.err
    (f,) = run.json()["review"]["findings"]
    assert f["suggestion"] == {"replacement": "    return a - b\n", "original": "    return b - a\n"}
    shown = ccplugin("result", cwd=changed, env=env).out
    diff = Suggestion(**f["suggestion"]).patch("calc.py", 6)
    assert f"Suggested change (`ccplugin review --apply {f['fingerprint']}`):" in shown
    assert "\n".join(f"  {line}" for line in diff.splitlines()) in shown
    (changed / "fix.patch").write_text(diff)
    git(changed, "apply", "--unidiff-zero", "fix.patch")
    assert (changed / "calc.py").read_text() == FIXED


def test_apply_writes_the_replacement_and_refuses_once_the_lines_changed(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = scripted(cc_fake_claude, fix("calc.py", 6, "    return a - b"))
    run = ccplugin("review", "--json", cwd=changed, env=claude.env)
    fp = run.json()["review"]["findings"][0]["fingerprint"]
    job = run.json()["job_id"]
    done = ccplugin("review", "--apply", fp, cwd=changed, env=claude.env)
    assert done.code == 0, done.err
    assert done.out.strip() == f"applied the suggestion of {fp} to calc.py:6 (from {job})"
    assert (changed / "calc.py").read_text() == FIXED
    # the lines are no longer the ones the suggestion was made for: refused, file untouched
    again = ccplugin("review", "--apply", fp, "--job", job, cwd=changed, env=claude.env)
    assert again.code == 8
    assert again.err.strip().splitlines() == [
        "ccplugin: error: calc.py:6 changed since the review: the suggestion was not applied: "
        "review the change again (`ccplugin review`) and apply the new suggestion"
    ]
    assert (changed / "calc.py").read_text() == FIXED


def test_apply_names_a_missing_fingerprint(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = scripted(cc_fake_claude, fix("calc.py", 6, "    return a - b"))
    run = ccplugin("review", "--json", cwd=changed, env=claude.env)
    fp = run.json()["review"]["findings"][0]["fingerprint"]
    bad = ccplugin("review", "--apply", "ffffffffffffffff", cwd=changed, env=claude.env)
    assert bad.code == 2 and "names no finding" in bad.err and fp in bad.err
    assert (changed / "calc.py").read_text() == HEAD


@pytest.mark.parametrize(
    ("replacement", "line", "why"),
    [
        ("    return a - b\x1b[2J", 6, "the replacement holds a control character"),
        ("x\n" * 201, 6, "the replacement is over 8000 characters or 200 lines"),
        ("    return a - b", 60, "lines 60-60 are not all inside calc.py"),
    ],
)
def test_an_invalid_suggestion_is_dropped_with_a_note_not_the_review(
    changed: Path, cc_fake_claude: type[OfflineClaude], replacement: object, line: int, why: str
) -> None:
    run, _ = review(changed, cc_fake_claude, fix("calc.py", line, replacement))
    assert run.code == 0, run.err
    (f,) = run.json()["review"]["findings"]
    assert f["suggestion"] is None
    assert f["body"].endswith(f"(suggested replacement dropped: {why})")


def test_a_non_text_or_symlinked_target_drops_the_suggestion(tmp_path: Path) -> None:
    from ccplugin.review import suggestion

    (tmp_path / "real.py").write_text("a\n")
    (tmp_path / "link.py").symlink_to(tmp_path / "real.py")
    assert suggestion.read(7, tmp_path, "real.py", 1, 1) == (
        None,
        "suggested replacement dropped: the replacement is not text",
    )
    dropped, note = suggestion.read("b", tmp_path, "link.py", 1, 1)
    assert dropped is None and "not a regular file" in note
    kept, _ = suggestion.read("b", tmp_path, "real.py", 1, 1)
    assert kept == Suggestion("b\n", "a\n")


def test_a_stored_suggestion_with_a_control_character_is_refused() -> None:
    with pytest.raises(ValueError, match="control character"):
        Suggestion("\x1b]52;c;aGk=\x07", "x\n")


def test_git_apply_takes_a_deletion_and_a_last_line_without_newline(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    for text, start, s, want in (
        ("one\ntwo\nthree\n", 2, Suggestion("", "two\n"), "one\nthree\n"),
        ("one\nthree", 2, Suggestion("THREE", "three"), "one\nTHREE"),
        ("one\ntwo\n", 1, Suggestion("uno\ndos\ntres\n", "one\ntwo\n"), "uno\ndos\ntres\n"),
    ):
        (tmp_path / "f.txt").write_text(text)
        (tmp_path / "p").write_text(s.patch("f.txt", start))
        subprocess.run(["git", "apply", "--unidiff-zero", "p"], cwd=tmp_path, check=True)
        assert (tmp_path / "f.txt").read_text() == want
