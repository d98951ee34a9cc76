from __future__ import annotations

from pathlib import Path

import pytest

from ccplugin.errors import CCError
from ccplugin.review import suppress
from ccplugin.review.model import Finding, ReviewResult


def finding(file: str, fingerprint: str) -> Finding:
    return Finding("high", "t", "b", file, 1, 1, 0.5, "r", fingerprint)


def test_waivers_by_fingerprint_and_path(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        '[[waiver]]\nfingerprint = "aaa"\nreason = "accepted in #12"\n\n'
        '[[waiver]]\npath = "vendor/*"\nreason = "vendored"\n'
    )
    waivers = suppress.load(path)
    res = ReviewResult(
        "needs-attention",
        "s",
        (finding("a.py", "aaa"), finding("vendor/x.py", "b"), finding("c.py", "c")),
    )
    marked = suppress.apply(res, waivers)
    assert [f.suppressed for f in marked.findings] == ["accepted in #12", "vendored", None]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[waiver]]\nfingerprint = "a"\n', "has no reason"),
        ('[[waiver]]\nreason = "x"\n', "exactly one of"),
        ('[[waiver]]\nreason = "x"\npath = "a"\nfingerprint = "b"\n', "exactly one of"),
        ("waiver = 3\n", "array of tables"),
        ("[[waiver\n", "cannot read"),
    ],
)
def test_bad_waivers_are_one_line_errors(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "w.toml"
    path.write_text(text)
    with pytest.raises(CCError) as e:
        suppress.load(path)
    assert problem in e.value.line()
    assert "\n" not in e.value.line()


def test_missing_file_means_no_waivers(tmp_path: Path) -> None:
    assert suppress.load(tmp_path / "absent.toml") == ()
