"""Generated, vendored and lock files stay out of the review, and are listed as not reviewed.

The marks come from the ``.gitattributes`` of the commit whose policy judges the change (the base
in CI), so a change cannot hide its own code by marking it generated. Real git, the real claude
CLI against the fake API, the fake GitHub for ``ci github``.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

import pr_repo
from ccplugin.review import generated
from ccplugin.review.generated import Kind
from ccplugin.testing import reply, structured_output
from ccplugin.testing.runner import OfflineClaude
from conftest import git
from helpers import ccplugin, finding, review_output
from pr_repo import commit, init, write
from support.fake_github import FakeGitHub
from test_ci_github import PullRequest

pytestmark = pytest.mark.real_claude

CALC = "def add(a, b):\n    return a + b\n"
CALC_BUG = CALC + "\n\ndef sub(a, b):\n    return b - a\n"
ATTRIBUTES = (
    "gen/** linguist-generated\n"
    "third_party/** linguist-vendored=true\n"
    "gen/handwritten.py -linguist-generated\n"
    "gen/off.py linguist-generated=false\n"
)
# each left-out file carries a marker that must never reach the model
LEFT_OUT = {
    "package-lock.json": ("LOCK_MARKER", "lock"),
    "web/dist/app.min.js": ("MINIFIED_MARKER", "minified"),
    "gen/api.py": ("GENERATED_MARKER", "generated"),
    "third_party/lib.js": ("VENDORED_MARKER", "vendored"),
}
KEPT = {"gen/handwritten.py": "HANDWRITTEN_MARKER = 1\n", "gen/off.py": "OFF_MARKER = 1\n"}


def structured(*findings: dict[str, object]) -> list[object]:
    return [reply(structured_output(review_output(*findings)), tool_offered="StructuredOutput")]


def base_files(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"calc.py": CALC, ".gitattributes": ATTRIBUTES, ".gitignore": "__pycache__/\n", **(extra or {})}


def base_repo(root: Path, extra: dict[str, str] | None = None) -> str:
    return init(root, base_files(extra))


def changed_files() -> dict[str, str]:
    return {"calc.py": CALC_BUG, **{name: f"{marker} = 1\n" for name, (marker, _) in LEFT_OUT.items()}, **KEPT}


def sent(claude: OfflineClaude) -> str:
    (request,) = claude.fake.message_requests()
    return request.summary.prompt_text


def assert_left_out(doc: dict[str, object], markdown: str, prompt: str) -> None:
    listed = {f["path"]: f["kind"] for f in doc["input"]["not_reviewed"]}  # type: ignore[index]
    assert listed == {name: kind for name, (_, kind) in LEFT_OUT.items()}
    reviewed = sorted(f["path"] for f in doc["input"]["files"])  # type: ignore[index]
    assert reviewed == ["calc.py", "gen/handwritten.py", "gen/off.py"]
    for marker, _ in LEFT_OUT.values():
        assert marker not in prompt
    assert "return b - a" in prompt and "HANDWRITTEN_MARKER" in prompt and "OFF_MARKER" in prompt
    (line,) = [ln for ln in markdown.splitlines() if ln.startswith("- Not reviewed (generated/vendored/lock): ")]
    assert line.startswith("- Not reviewed (generated/vendored/lock): 4 file(s): ")
    for name, (_, kind) in LEFT_OUT.items():
        assert f"{name} ({kind})" in line


# --- ccplugin review ------------------------------------------------------------------------------


def test_a_working_tree_review_leaves_out_lock_minified_generated_and_vendored_files(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    root = tmp_path / "repo"
    base_repo(root, {"gen/api.py": "GENERATED = 0\n"})  # one left-out file is tracked, the others are new
    write(root, changed_files())
    claude = cc_fake_claude(structured(finding("calc.py", 6)))
    run = ccplugin("review", "--json", "--fail-on", "high", cwd=root, env=claude.env)
    assert run.code == 1, run.err
    doc = run.json()
    markdown = ccplugin("result", doc["job_id"], cwd=root, env=claude.env).out
    assert_left_out(doc, markdown, sent(claude))
    assert doc["coverage"] == {"basis": "prompt", "covered_files": 3, "changed_files": 3, "paths": []}


def test_a_branch_review_leaves_them_out_of_the_diff_and_the_over_budget_file_list(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    root = tmp_path / "repo"
    base_repo(root)
    git(root, "checkout", "-qb", "feature")
    commit(root, changed_files(), "feature")
    claude = cc_fake_claude(structured())
    run = ccplugin("review", "--json", "--scope", "branch", "--base", "main", cwd=root, env=claude.env)
    assert run.code == 0, run.err
    doc = run.json()
    assert_left_out(doc, ccplugin("result", doc["job_id"], cwd=root, env=claude.env).out, sent(claude))

    claude = cc_fake_claude(structured())
    budget = ("--budget-bytes", "10", "--no-cache")
    run = ccplugin("review", "--json", "--scope", "branch", "--base", "main", *budget, cwd=root, env=claude.env)
    assert run.json()["input_mode"] == "self-collect"
    assert "package-lock.json" not in sent(claude) and "gen/api.py" not in sent(claude)


def test_review_generated_in_the_policy_reviews_them_again(tmp_path: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    root = tmp_path / "repo"
    base_repo(root, {".ccplugin.toml": 'review_generated = ["package-lock.json", "gen/**"]\n'})
    write(root, changed_files())
    claude = cc_fake_claude(structured())
    run = ccplugin("review", "--json", cwd=root, env=claude.env)
    assert run.code == 0, run.err
    listed = {f["path"] for f in run.json()["input"]["not_reviewed"]}
    assert listed == {"web/dist/app.min.js", "third_party/lib.js"}
    assert "LOCK_MARKER" in sent(claude) and "GENERATED_MARKER" in sent(claude)


def test_a_change_made_only_of_lock_files_is_nothing_to_review_never_a_pass(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    root = tmp_path / "repo"
    base_repo(root, {"poetry.lock": "# v1\n"})
    write(root, {"poetry.lock": "# v2\n", "yarn.lock": "# new\n"})
    claude = cc_fake_claude(structured())
    run = ccplugin("review", "--json", "--fail-on", "low", cwd=root, env=claude.env)
    assert run.code == 4, run.err
    doc = run.json()
    assert doc["gate"]["status"] == "nothing"
    assert doc["gate"]["reason"] == (
        "nothing to review: the 2 changed path(s) of the working tree diff are all not reviewed as "
        "generated/vendored/lock"
    )
    assert {f["path"] for f in doc["input"]["not_reviewed"]} == {"poetry.lock", "yarn.lock"}
    markdown = ccplugin("result", doc["job_id"], cwd=root, env=claude.env).out
    assert "Gate: NOTHING TO REVIEW (not a pass)" in markdown
    assert "- Not reviewed (generated/vendored/lock): 2 file(s): poetry.lock (lock), yarn.lock (lock)" in markdown
    assert claude.fake.message_requests() == []


# --- ccplugin ci github: the attributes of the base --------------------------------------------


def pull_request(tmp_path: Path, head: dict[str, str]) -> AbstractContextManager[tuple[PullRequest, FakeGitHub]]:
    base = {
        "calc.py": CALC,
        ".gitattributes": ATTRIBUTES,
        ".gitignore": "__pycache__/\n",
        "gen/api.py": "GENERATED = 0\n",
    }
    return pr_repo.pull_request(tmp_path, base, head)


def test_ci_github_reads_the_attributes_of_the_base_not_of_the_pull_request(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    # the pull request marks its own bug generated and un-marks the base's generated file
    hostile = "calc.py linguist-generated\ngen/** -linguist-generated\n"
    head = {"calc.py": CALC_BUG, "gen/api.py": "GENERATED_MARKER = 1\n", ".gitattributes": hostile}
    with pull_request(tmp_path, head) as (pull, gh):
        claude = cc_fake_claude(structured(finding("calc.py", 6)))
        result = pull.files / "result.json"
        ci = ("ci", "github", "--fail-on", "high", "--result-json", str(result))
        run = ccplugin(*ci, cwd=pull.work, env=pull.env(claude, gh))
    assert run.code == 1, run.err
    doc = json.loads(result.read_text())
    assert doc["input"]["not_reviewed"] == [{"path": "gen/api.py", "kind": "generated"}]
    assert "return b - a" in sent(claude) and "GENERATED_MARKER" not in sent(claude)
    assert (
        "- Not reviewed (generated/vendored/lock): 1 file(s): gen/api.py (generated)"
        in (pull.files / "summary.md").read_text()
    )


# --- the classifier without Claude ----------------------------------------------------------------


def test_attribute_values_set_and_true_mark_a_file_everything_else_does_not(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    rules = {
        "a.txt": "linguist-generated",
        "b.txt": "linguist-generated=true",
        "c.txt": "linguist-generated=false",
        "d.txt": "-linguist-generated",
        "e.txt": "!linguist-generated",
        "f.txt": "linguist-generated=yes",
        "g.txt": "linguist-vendored",
        "h.txt": "linguist-vendored linguist-generated",
    }
    attributes = "* linguist-generated\n" + "".join(f"{p} {a}\n" for p, a in rules.items())
    sha = base_repo(root, {".gitattributes": attributes})
    marked = generated.marks(root, sha, [*rules, "other.txt", "sub/dir/x.txt"])
    assert marked == {
        "a.txt": Kind.GENERATED,
        "b.txt": Kind.GENERATED,
        "g.txt": Kind.GENERATED,  # `*` still sets linguist-generated
        "h.txt": Kind.GENERATED,
        "other.txt": Kind.GENERATED,
        "sub/dir/x.txt": Kind.GENERATED,
    }


def test_nested_attribute_files_of_the_commit_apply_and_the_work_tree_does_not(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    sha = base_repo(root, {"lib/.gitattributes": "*.js linguist-vendored\n", "lib/x.js": "x\n"})
    (root / ".gitattributes").write_text("calc.py linguist-generated\n")  # the work tree: not the commit
    (root / "lib" / ".gitattributes").unlink()
    left_out = generated.classifier(root, sha)
    assert left_out(["calc.py", "lib/x.js", "lib/sub/y.js", "x.js", "a/go.sum", "b.min.css"]) == {
        "lib/x.js": Kind.VENDORED,
        "lib/sub/y.js": Kind.VENDORED,
        "a/go.sum": Kind.LOCK,
        "b.min.css": Kind.MINIFIED,
    }
    assert generated.classifier(root, None)(["calc.py", "Cargo.lock"]) == {"Cargo.lock": Kind.LOCK}
    assert generated.classifier(root, sha, ["**"])(["lib/x.js", "Cargo.lock"]) == {}
