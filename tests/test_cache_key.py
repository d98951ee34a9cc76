"""The cache key covers everything that shapes the prompt and the run: each part, end to end."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ccplugin.review import cache, prompts
from ccplugin.review.cache import KeyParts
from ccplugin.testing import reply, structured_output
from ccplugin.testing.runner import OfflineClaude
from helpers import ccplugin, finding, review_output

BASE = KeyParts(
    digest="d" * 64,
    mode="review",
    focus="",
    model="claude-opus-4-7[1m]",
    effort="xhigh",
    include=(),
    exclude=(),
    scope="working-tree",
    base_ref=None,
    commits=(),
    budget_bytes=256 * 1024,
)
CHANGED: dict[str, Any] = {
    "digest": "e" * 64,
    "mode": "adversarial-review",
    "focus": "retries",
    "model": "claude-sonnet-4-6",
    "effort": "low",
    "include": ("src/*",),
    "exclude": ("docs/*",),
    "scope": "branch",
    "base_ref": "main",
    "commits": ("## Commits\n\n1a2b3c4 another subject\n",),
    "budget_bytes": 1000,
    "rules": "f" * 64,
    "incremental": True,
}


def test_every_part_is_covered_by_a_case() -> None:
    assert set(CHANGED) == {f.name for f in dataclasses.fields(KeyParts)}


@pytest.mark.parametrize("part", sorted(CHANGED))
def test_each_part_changes_the_key(part: str) -> None:
    assert cache.key(dataclasses.replace(BASE, **{part: CHANGED[part]})) != cache.key(BASE)


def test_the_prompt_version_template_and_schema_change_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    before = cache.key(BASE)
    monkeypatch.setattr(prompts, "PROMPT_VERSION", "v999")
    assert cache.key(BASE) != before
    monkeypatch.undo()
    monkeypatch.setattr(prompts, "template", lambda mode: "another template {{REVIEW_INPUT}}")
    assert cache.key(BASE) != before
    monkeypatch.undo()
    monkeypatch.setattr(prompts, "schema", lambda: {"type": "object", "title": "another schema"})
    assert cache.key(BASE) != before


def test_commit_ids_do_not_change_the_key_but_subjects_do() -> None:
    one = dataclasses.replace(BASE, commits=("## Commits\n\n1a2b3c4 add sub\n",))
    rebased = dataclasses.replace(BASE, commits=("## Commits\n\n9f8e7d6 add sub\n",))
    reworded = dataclasses.replace(BASE, commits=("## Commits\n\n1a2b3c4 add sub (reviewed)\n",))
    assert cache.key(one) == cache.key(rebased) != cache.key(reworded)
    numbered = dataclasses.replace(BASE, commits=("## Commits\n\n1a2b3c4 fix issue 1234567\n",))
    renumbered = dataclasses.replace(BASE, commits=("## Commits\n\n1a2b3c4 fix issue 7654321\n",))
    assert cache.key(numbered) != cache.key(renumbered)  # only ids go, not every hex-looking word


def test_a_pull_requests_new_merge_commit_keeps_the_key() -> None:
    def merge(base: str, head: str) -> KeyParts:
        return dataclasses.replace(BASE, commits=(f"## Commits\n\n{head[:7]} Merge {head} into {base}\n",))

    assert cache.key(merge("a" * 40, "b" * 40)) == cache.key(merge("c" * 40, "d" * 40))


def test_surrounding_blanks_of_the_focus_do_not_change_the_key() -> None:
    padded, bare = (dataclasses.replace(BASE, focus=f) for f in (" retries\n", "retries"))
    assert cache.key(padded) == cache.key(bare)


# --- end to end: each input that shapes the prompt makes a new review --------------------------------


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.real_claude
def test_a_change_of_any_key_part_makes_a_new_review(repo: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n")
    found = structured_output(review_output(finding("calc.py", 6)))
    claude = cc_fake_claude([reply(found, tool_offered="StructuredOutput")])
    env = claude.env

    def calls_after(*args: str, command: str = "review") -> int:
        done = ccplugin(command, "--json", *args, cwd=repo, env=env)
        assert done.json()["gate"]["status"] != "pass", done.err  # a self-collect run that never read: error
        return len(claude.fake.message_requests())

    assert calls_after() == 1
    assert calls_after() == 1  # unchanged: a hit
    variants: list[tuple[tuple[str, ...], str]] = [
        (("--model", "sonnet"), "review"),
        (("--effort", "low"), "review"),
        (("--exclude", "docs/*"), "review"),
        (("--include", "*.py"), "review"),
        (("--budget-bytes", "100"), "review"),  # self-collect: says so in the prompt
        ((), "adversarial-review"),
        (("retries",), "adversarial-review"),  # the focus
    ]
    for n, (args, command) in enumerate(variants, start=2):
        assert calls_after(*args, command=command) == n, (command, args)
    # the trusted policy (HEAD's, for a working tree) gains an exclude that matches nothing changed
    (repo / ".ccplugin.toml").write_text('exclude = ["generated/*"]\n')
    git(repo, "add", ".ccplugin.toml")
    git(repo, "commit", "-q", "-m", "policy")
    n = len(variants) + 2
    assert calls_after() == n
    assert calls_after() == n
    # the same change committed on a branch: another target, its commits shown → a new review
    git(repo, "switch", "-q", "-c", "feature")
    git(repo, "commit", "-q", "-am", "add sub")
    assert calls_after("--scope", "branch", "--base", "main") == n + 1
    # the same commit made again (a new id, the same subject and diff): a hit
    git(repo, "commit", "-q", "--amend", "--no-edit", "--date=2001-01-01T00:00:00")
    assert calls_after("--scope", "branch", "--base", "main") == n + 1
    git(repo, "commit", "-q", "--amend", "-m", "add sub, reworded")
    assert calls_after("--scope", "branch", "--base", "main") == n + 2
