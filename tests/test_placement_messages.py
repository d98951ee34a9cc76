"""The words ccplugin says about bad input name what was given: the flag, the kind of object, the filtered listing."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from ccplugin.review.collect import collect
from ccplugin.review.target import resolve_target
from conftest import git
from helpers import ccplugin
from test_cli_errors import one_line_error


def test_a_bad_budget_flag_names_the_flag_not_the_settings_file(repo: Path) -> None:
    run = ccplugin("review", "--budget-bytes", "0", cwd=repo, env=dict(os.environ))
    one_line_error(run, 2, "--budget-bytes 0", "pass `--budget-bytes N` with N positive")
    assert "tool.ccplugin" not in run.err


def test_a_bad_budget_in_the_settings_names_the_settings(repo: Path) -> None:
    (repo / ".ccplugin.toml").write_text("budget_bytes = 0\n")
    git(repo, "add", ".ccplugin.toml")
    git(repo, "commit", "-q", "-m", "settings")
    run = ccplugin("review", cwd=repo, env=dict(os.environ))
    one_line_error(run, 2, "`budget_bytes` in the ccplugin settings", ".ccplugin.toml")
    assert "--budget-bytes" not in run.err


@pytest.mark.parametrize(
    ("base", "words"),
    [
        ("main..HEAD", ("is a range", "pass `--base main`")),
        ("{blob}", ("names a blob, not a commit", "pass a branch, tag or commit")),
        ("HEAD^{{tree}}", ("names a tree, not a commit", "pass a branch, tag or commit")),
    ],
)
def test_a_base_that_is_not_a_commit_says_what_it_is(repo: Path, base: str, words: tuple[str, ...]) -> None:
    blob = git(repo, "rev-parse", "HEAD:calc.py").strip()
    run = ccplugin("review", "--base", base.format(blob=blob), cwd=repo, env=dict(os.environ))
    one_line_error(run, 2, *words)
    assert "git fetch" not in run.err


def _suggested(context: str, lead: str) -> list[str]:
    found = re.search(r"`(git " + lead + r"[^`]*)`", context)
    assert found, context
    return shlex.split(found.group(1))


def _listed(repo: Path, argv: list[str]) -> list[str]:
    out = subprocess.run(argv, cwd=repo, capture_output=True, text=True, check=True).stdout
    return sorted(line.split("\t")[-1] for line in out.splitlines() if line)


@pytest.mark.parametrize(
    ("include", "exclude"),
    [((), ("*.lock",)), ((), ("vendor/",)), ((), ("docs/*.md", "gen")), (("src/**",), ("*_test.py",))],
)
def test_the_self_collect_commands_carry_the_same_pathspec(
    repo: Path, include: tuple[str, ...], exclude: tuple[str, ...]
) -> None:
    names = ["a.lock", "sub/b.lock", "vendor/x.py", "docs/a.md", "docs/deep/b.md", "gen/g.py", "src/gen", "src/m.py"]
    names += ["src/m_test.py", "keep.py"]
    for name in names:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x\n" * 50)
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "many")
    inp = collect(resolve_target(repo, "branch", "main"), include, exclude, budget_bytes=10)
    assert inp.input_mode == "self-collect"
    kept = sorted(f.path for f in inp.files)
    stat = _suggested(inp.context, "diff --no-ext-diff --stat")
    stat[stat.index("--stat")] = "--name-only"
    assert _listed(repo, stat) == kept, stat
