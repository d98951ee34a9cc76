"""Gate integrity: the policy that judges a change is the policy from before it.

A change that adds a hostile ``.ccplugin.toml`` (exclude everything, no threshold, errors
pass), a hostile ``[tool.ccplugin]`` in ``pyproject.toml`` or a waiver of every path still gets
the settings and waivers committed at its base (a branch, a pull request) or at ``HEAD`` (a
working tree, a Codex turn), and each policy edit is itself a gating finding. Real git, the
real claude CLI against the fake API, the fake GitHub for ``ci github``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ccplugin.codex import state
from ccplugin.review import policy
from ccplugin.review.collect import PathFilter
from ccplugin.review.target import Target, resolve_target
from ccplugin.testing import fail, reply, structured_output
from ccplugin.testing.runner import OfflineClaude
from codex_helpers import hook
from conftest import git
from helpers import CliRun, ccplugin, finding, review_output
from support.fake_github import FakeGitHub, files_from_git
from test_ci_github import PR, PullRequest

pytestmark = pytest.mark.real_claude

CALC_BASE = "def add(a, b):\n    return a + b\n"
CALC_HEAD = CALC_BASE + "\n\ndef sub(a, b):\n    return b - a\n"  # the bug is on line 6, an added line
BASE_POLICY = '[tool.ccplugin]\nfail_on = "high"\n'  # committed in pyproject.toml before the change
LOOSE = 'exclude = ["**"]\nfail_on = "none"\non_error = "pass"\n'
HOSTILE = {
    ".ccplugin.toml": LOOSE,
    "pyproject.toml": "[tool.ccplugin]\n" + LOOSE,
    ".ccplugin-waivers.toml": '[[waiver]]\npath = "**"\nreason = "make the check green"\n',
}
POLICY_EDIT = "This change edits the review policy: "


def structured(*findings: dict[str, object]) -> list[object]:
    return [reply(structured_output(review_output(*findings)), tool_offered="StructuredOutput")]


def sign_flipped() -> list[object]:
    return structured(finding("calc.py", 6))


def sha(root: Path, rev: str = "HEAD") -> str:
    return git(root, "rev-parse", rev).strip()


def base_repo(root: Path) -> Path:
    """``main``: calc.py and the committed policy (``fail_on = "high"`` in pyproject.toml)."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "calc.py").write_text(CALC_BASE)
    (root / "pyproject.toml").write_text(BASE_POLICY)
    (root / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    return root


def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).write_text(content)


def feature(root: Path, hostile: dict[str, str]) -> None:
    """A ``feature`` branch that adds the bug and the hostile policy files, committed."""
    git(root, "checkout", "-qb", "feature")
    write(root, {"calc.py": CALC_HEAD, **hostile})
    git(root, "add", ".")
    git(root, "commit", "-qm", "add sub; make the check green")


def review(root: Path, env: dict[str, str], *args: str) -> CliRun:
    return ccplugin("review", "--json", *args, cwd=root, env=env)


def assert_judged_before(doc: dict[str, Any], source: str, edited: list[str]) -> None:
    """The gate used the earlier policy: FAIL at ``high``, nothing waived, each policy edit gating."""
    gate = doc["gate"]
    assert (gate["status"], gate["fail_on"], gate["on_error"]) == ("fail", "high", "fail")
    findings = doc["review"]["findings"]
    assert [f["suppressed"] for f in findings] == [None] * len(findings)
    titles = {f["fingerprint"]: f["title"] for f in findings}
    gating = sorted(titles[fp] for fp in gate["gating"])
    assert gating == sorted(["Sign flipped", *(POLICY_EDIT + name for name in edited)])
    edits = [f for f in findings if f["title"].startswith(POLICY_EDIT)]
    assert {(f["file"], f["severity"], f["location"]) for f in edits} == {(n, "high", "added") for n in edited}
    assert doc["policy"]["source"] == source and doc["policy"]["edited"] == edited
    assert [f["path"] for f in doc["input"]["files"]] != []  # the exclude of the change did not apply


# --- ccplugin review ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_branch_review_uses_the_policy_of_the_merge_base(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude], name: str
) -> None:
    root = base_repo(tmp_path / "repo")
    base = sha(root)
    feature(root, {name: HOSTILE[name]})
    claude = cc_fake_claude(sign_flipped())
    run = review(root, claude.env, "--scope", "branch", "--base", "main")
    assert run.code == 1, run.err
    assert_judged_before(run.json(), f"pyproject.toml at {base[:7]} (base)", [name])
    assert len(claude.fake.message_requests()) == 1


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_working_tree_review_uses_the_policy_of_head(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude], name: str
) -> None:
    root = base_repo(tmp_path / "repo")
    write(root, {"calc.py": CALC_HEAD, name: HOSTILE[name]})  # uncommitted: the change under review
    claude = cc_fake_claude(sign_flipped())
    run = review(root, claude.env)  # auto: the work tree is dirty
    assert run.code == 1, run.err
    doc = run.json()
    assert doc["target"]["scope"] == "working-tree"
    assert_judged_before(doc, f"pyproject.toml at {sha(root)[:7]} (HEAD)", [name])
    markdown = ccplugin("result", doc["job_id"], cwd=root, env=claude.env)
    assert f"- Policy: pyproject.toml at {sha(root)[:7]} (HEAD)" in markdown.out


def test_on_error_pass_in_the_change_does_not_turn_a_failed_review_into_a_pass(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    root = base_repo(tmp_path / "repo")
    feature(root, HOSTILE)
    claude = cc_fake_claude([fail(500)])
    run = review(root, claude.env, "--scope", "branch", "--base", "main")
    assert run.code == 3, run.err
    assert run.json()["gate"]["status"] == "error" and run.json()["gate"]["on_error"] == "fail"


def test_a_committed_policy_applies_and_says_where_it_came_from(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    root = base_repo(tmp_path / "repo")
    write(
        root,
        {
            ".ccplugin.toml": 'fail_on = "high"\nexclude = ["docs/**"]\n',
            ".ccplugin-waivers.toml": '[[waiver]]\npath = "calc.py"\nreason = "accepted in #12"\n',
        },
    )
    git(root, "add", ".")
    git(root, "commit", "-qm", "policy")
    base = sha(root)
    git(root, "checkout", "-qb", "feature")
    (root / "docs").mkdir()
    write(root, {"calc.py": CALC_HEAD, "docs/guide.md": "# guide\n"})
    git(root, "add", ".")
    git(root, "commit", "-qm", "sub")
    claude = cc_fake_claude(sign_flipped())
    run = review(root, claude.env, "--scope", "branch", "--base", "main")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["gate"]["status"] == "pass"
    (only,) = doc["review"]["findings"]
    assert only["suppressed"] == "accepted in #12"
    assert [f["path"] for f in doc["input"]["files"]] == ["calc.py"]
    assert doc["policy"]["source"] == f".ccplugin.toml + 1 waiver(s) at {base[:7]} (base)"
    assert doc["policy"]["edited"] == []


def test_a_change_that_only_edits_an_excluded_policy_file_is_not_nothing(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "repo")
    write(root, {".ccplugin.toml": 'fail_on = "high"\nexclude = ["*.toml"]\n'})
    git(root, "add", ".")
    git(root, "commit", "-qm", "policy")
    write(root, HOSTILE | {".ccplugin.toml": 'fail_on = "high"\nexclude = ["*.toml"]\n'})
    run = review(root, dict(_plain_env(tmp_path)), "--scope", "working-tree")
    assert run.code == 1, run.err
    doc = run.json()
    assert doc["gate"]["status"] == "fail" and doc["input"]["files"] == []
    assert sorted(f["title"] for f in doc["review"]["findings"]) == [
        POLICY_EDIT + ".ccplugin-waivers.toml",
        POLICY_EDIT + "pyproject.toml",
    ]


def test_bad_toml_in_the_base_policy_is_one_line_and_in_the_change_is_a_finding(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    root = base_repo(tmp_path / "repo")
    feature(root, {".ccplugin.toml": "fail_on = \n"})
    claude = cc_fake_claude(sign_flipped())
    run = review(root, claude.env, "--scope", "branch", "--base", "main")
    assert run.code == 1, run.err  # the change's broken file is not its policy
    assert POLICY_EDIT + ".ccplugin.toml" in [f["title"] for f in run.json()["review"]["findings"]]

    # that broken file is now committed: HEAD's policy for a working tree, the base of a later branch
    bad = sha(root)[:7]
    head = review(root, claude.env, "--scope", "working-tree")
    git(root, "checkout", "-qb", "later")
    write(root, {"calc.py": CALC_BASE})
    git(root, "commit", "-qam", "revert sub")
    base = review(root, claude.env, "--scope", "branch", "--base", "feature")
    for broken, role in ((head, "HEAD"), (base, "base")):
        assert broken.code == 2
        (line,) = broken.err.strip().splitlines()
        assert line.startswith(f"ccplugin: error: cannot read .ccplugin.toml at {bad} ({role}): ")
        assert line.endswith(": fix the TOML in .ccplugin.toml and commit it")
    assert len(claude.fake.message_requests()) == 1


def _plain_env(tmp_path: Path) -> dict[str, str]:
    import os

    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**os.environ, "HOME": str(home), "CCPLUGIN_HOME": str(tmp_path / "state")}


# --- ccplugin ci github ---------------------------------------------------------------------------


@pytest.fixture
def hostile_pull(tmp_path: Path) -> PullRequest:
    """A pull request whose head adds the bug and every hostile policy file."""
    work, origin, files = tmp_path / "work", tmp_path / "origin.git", tmp_path / "runner"
    base_repo(work)
    files.mkdir()
    base = sha(work)
    feature(work, HOSTILE)
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main", "feature")
    return PullRequest(work, origin, base, sha(work), files)


@pytest.fixture
def hostile_github(hostile_pull: PullRequest) -> Iterator[FakeGitHub]:
    with FakeGitHub("octo/repo") as gh:
        pull = hostile_pull
        gh.add_pull(PR, pull.head, pull.base, files_from_git(pull.work, pull.base, pull.head))
        yield gh


def test_ci_github_judges_a_pull_request_by_its_base(
    hostile_pull: PullRequest, hostile_github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    pull = hostile_pull
    claude = cc_fake_claude(sign_flipped())
    result = pull.files / "result.json"
    run = ccplugin("ci", "github", "--result-json", str(result), cwd=pull.work, env=pull.env(claude, hostile_github))
    assert run.code == 1, run.err
    assert pull.outputs()["gate"] == "fail" and pull.outputs()["gating-count"] == "4"
    source = f"pyproject.toml at {pull.base[:7]} (base)"
    assert_judged_before(json.loads(result.read_text()), source, list(HOSTILE))
    assert f"- Policy: {source}" in pull.summary()
    assert POLICY_EDIT + ".ccplugin-waivers.toml" in pull.summary()


def test_ci_github_on_error_pass_of_the_change_does_not_apply(
    hostile_pull: PullRequest, hostile_github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([fail(500)])
    run = ccplugin("ci", "github", cwd=hostile_pull.work, env=hostile_pull.env(claude, hostile_github))
    assert run.code == 3, run.err
    assert hostile_pull.outputs()["gate"] == "error"


# --- pytest --cc-review ---------------------------------------------------------------------------


def test_pytest_cc_review_judges_a_branch_by_its_base(
    pytester: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = pytester.path
    pytester.makepyfile(test_calc="from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    git(root, "init", "-q", "-b", "main")
    write(root, {"calc.py": CALC_BASE, "pyproject.toml": BASE_POLICY, ".gitignore": "__pycache__/\n"})
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    base = sha(root)
    feature(root, HOSTILE)
    claude = cc_fake_claude(sign_flipped())
    for name, value in claude.env.items():
        monkeypatch.setenv(name, value)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--cc-review", "--cc-base", "main"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED cc-review::gate - 4 finding(s) at or above high (worst: high)"])
    out = result.stdout.str()
    assert f"- Policy: pyproject.toml at {base[:7]} (base)" in out
    result.stdout.fnmatch_lines([f"cc-review FAIL: * · policy pyproject.toml at {base[:7]} (base)"])
    for name in HOSTILE:
        assert f"[high] {POLICY_EDIT}{name} ({name}:" in out
    assert "suppressed" not in out


# --- the Codex stop gate --------------------------------------------------------------------------


def test_codex_stop_gate_judges_a_turn_by_the_commit_it_started_from(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    root = base_repo(tmp_path / "repo")
    claude = cc_fake_claude(sign_flipped())
    env = {k: v for k, v in claude.env.items() if k != "CODEX_SESSION_ID"}
    state.set_gate(Path(env["CCPLUGIN_HOME"]), str(root.resolve()), True)
    start = sha(root)
    said = {"session_id": "s1", "cwd": str(root), "prompt": "make the check green"}
    assert hook("UserPromptSubmit", said | {"hook_event_name": "UserPromptSubmit"}, env, root).code == 0

    # the turn: the bug, a waiver for everything and a loose pyproject.toml; it even commits a loose .ccplugin.toml
    write(root, {"calc.py": CALC_HEAD, **HOSTILE})
    git(root, "add", ".ccplugin.toml")
    git(root, "commit", "-qm", "loosen the review")

    stop = {"session_id": "s1", "cwd": str(root), "stop_hook_active": False, "hook_event_name": "Stop"}
    run = hook("Stop", stop, env, root)
    assert run.code == 0, run.err
    decision = json.loads(run.out)
    assert decision["decision"] == "block", decision
    reason = decision["reason"]
    assert reason.startswith("BLOCK: Claude Code's stop-time review found 4 issue(s) at or above high")
    assert "- [high] Sign flipped (calc.py:6)" in reason
    for name in HOSTILE:
        assert f"- [high] {POLICY_EDIT}{name} ({name}:" in reason
    assert f"(policy: pyproject.toml at {start[:7]} (HEAD))" in reason
    assert len(claude.fake.message_requests()) == 1


def test_codex_stop_gate_leaves_a_policy_edit_made_before_the_turn_to_the_user(
    tmp_path: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    root = base_repo(tmp_path / "repo")
    write(root, {".ccplugin-waivers.toml": HOSTILE[".ccplugin-waivers.toml"]})  # the user's own, uncommitted
    claude = cc_fake_claude(structured(finding("calc.py", 6, "low", "Naming")))
    env = {k: v for k, v in claude.env.items() if k != "CODEX_SESSION_ID"}
    state.set_gate(Path(env["CCPLUGIN_HOME"]), str(root.resolve()), True)
    said = {"session_id": "s1", "cwd": str(root), "prompt": "add sub", "hook_event_name": "UserPromptSubmit"}
    assert hook("UserPromptSubmit", said, env, root).code == 0
    write(root, {"calc.py": CALC_HEAD})  # the turn
    stop = {"session_id": "s1", "cwd": str(root), "stop_hook_active": False, "hook_event_name": "Stop"}
    run = hook("Stop", stop, env, root)
    message = json.loads(run.out)["systemMessage"]
    assert message.startswith("ALLOW: Claude reviewed 1 changed file; no finding at or above high (1 lower-severity")
    assert f"(policy: pyproject.toml at {sha(root)[:7]} (HEAD))" in message


# --- the policy module without Claude ---------------------------------------------------------------


def working_tree(root: Path) -> Target:
    return resolve_target(root, "working-tree")


def test_only_the_ccplugin_table_of_pyproject_is_policy(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "repo")
    trusted = policy.at(root, sha(root), "HEAD")
    keep_all = PathFilter((), ())
    write(root, {"pyproject.toml": '[project]\nname = "x"\n\n' + BASE_POLICY})  # a dependency bump, say
    assert policy.edited(working_tree(root), trusted, keep_all) == ()
    write(root, {"pyproject.toml": BASE_POLICY.replace("high", "critical")})
    assert policy.edited(working_tree(root), trusted, keep_all) == ("pyproject.toml",)
    assert policy.edited(working_tree(root), trusted, PathFilter(("calc.py",), ())) == ()  # not asked about


def test_policy_files_are_read_as_committed_regular_blobs(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "repo")
    marker = tmp_path / "textconv-ran"
    (root / ".gitattributes").write_text("*.toml diff=conv filter=conv\n")
    git(root, "config", "diff.conv.textconv", f"sh -c 'touch {marker}; cat'")
    git(root, "config", "filter.conv.smudge", f"sh -c 'touch {marker}; cat'")
    (root / "vendor").mkdir()
    (root / "vendor" / "x").write_text("x\n")
    (root / ".ccplugin-waivers.toml").symlink_to(tmp_path / "outside.toml")
    (tmp_path / "outside.toml").write_text('[[waiver]]\npath = "**"\nreason = "via a link"\n')
    write(root, {".ccplugin.toml": 'fail_on = "low"\n'})
    git(root, "add", ".")
    git(root, "commit", "-qm", "policy")
    loaded = policy.at(root, sha(root), "base")
    assert (loaded.settings.fail_on, loaded.waivers) == ("low", ())  # a symlinked waivers file is no file
    assert loaded.origin.label() == f".ccplugin.toml at {sha(root)[:7]} (base)"
    assert git_file(root, "vendor") is None and git_file(root, "missing.toml") is None
    assert not marker.exists()
    assert policy.at(root, None, "HEAD").origin.label() == "defaults (no commits yet)"


def git_file(root: Path, name: str) -> bytes | None:
    from ccplugin import git as ccgit

    return ccgit.file_at(root, "HEAD", name)
