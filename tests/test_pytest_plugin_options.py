"""`pytest --cc-review` with pytester and no Claude CLI: options, ini twins, the gate item, bad input.

The cheap tier of the plugin's tests (tests/test_pytest_plugin.py runs the real claude against the fake API):
every run here points ``CCPLUGIN_CLAUDE_BIN`` at a file that does not exist, so a review that started by
mistake would show as an ERROR item, and none of these tests can pass by talking to a model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pytest_ccreview.session  # noqa: F401  (one copy of the plugin's modules for all in-process runs)
from pytest_ccreview.options import SPECS, Spec

OPTIONS = [Spec(*spec) for spec in SPECS]

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly")


@pytest.fixture(autouse=True)
def no_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    missing = tmp_path / "no-claude"
    monkeypatch.setenv("CCPLUGIN_CLAUDE_BIN", str(missing))
    return missing


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*QUIET, *args)


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.stdout.lines if "::" in line]


def test_help_lists_every_option_and_its_ini_twin(pytester: pytest.Pytester) -> None:
    shown = run(pytester, "--help").stdout.str()
    assert "Claude Code review gate (ccplugin)" in shown
    for spec in OPTIONS:
        assert spec.flags[0] in shown, spec.flags[0]
        assert f"{spec.ini} " in shown or f"{spec.ini} (" in shown, spec.ini


def test_without_the_plugin_its_options_are_unknown(project: pytest.Pytester) -> None:
    result = run(project, "-p", "no:ccreview", "--cc-review")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unrecognized arguments: --cc-review" in result.stderr.str()


def test_the_gate_is_one_item_collected_last(project: pytest.Pytester) -> None:
    assert collected(run(project, "--co", "-q")) == ["test_calc.py::test_add"]
    assert collected(run(project, "--cc-review", "--co", "-q")) == ["test_calc.py::test_add", "cc-review::gate"]
    project.makepyprojecttoml("[tool.pytest.ini_options]\ncc_review = true\n")
    assert collected(run(project, "--co", "-q"))[-1] == "cc-review::gate"
    assert collected(run(project, "--co", "-q", "-o", "cc_review=false")) == ["test_calc.py::test_add"]


def test_a_review_that_cannot_start_is_an_error_item(project: pytest.Pytester, no_claude: Path) -> None:
    result = run(project, "--cc-review", "--cc-fail-on", "high")
    result.assert_outcomes(passed=1, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["cc-review ERROR: could not review: *"])
    assert "Traceback" not in result.stdout.str() and not no_claude.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--cc-timeout", "0"], "must be positive"),
        (["--cc-max-cost-usd", "0"], "`--max-cost-usd 0.0`: the value must be positive"),
        (["--cc-max-cost-usd", "x"], "--cc-max-cost-usd 'x': expected a number"),
        (["--cc-budget", "x"], "--cc-budget-bytes 'x': expected a number"),
        (["--cc-on-error", "maybe"], "invalid on_error 'maybe': use one of: fail, pass"),
        (["--cc-filter-mode", "near"], "invalid filter_mode 'near'"),
        (["--cc-scope", "sideways"], "unknown review scope 'sideways'"),
        (["--cc-effort", "huge"], "unknown effort huge"),
        (["--cc-fail-on", "severe"], "invalid fail_on 'severe'"),
    ],
)
def test_bad_values_are_a_usage_error_before_any_test_runs(
    project: pytest.Pytester, args: list[str], words: str
) -> None:
    result = run(project, "--cc-review", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert err.startswith("ERROR: ") and words in err.splitlines()[0], err
    assert "Traceback" not in err and "passed" not in result.stdout.str()


def test_a_bad_ini_value_names_the_same_problem(project: pytest.Pytester) -> None:
    project.makepyprojecttoml('[tool.pytest.ini_options]\ncc_review = true\ncc_on_error = "maybe"\n')
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "invalid on_error 'maybe'" in result.stderr.str()


DOCS = Path(__file__).resolve().parents[1] / "docs" / "pytest.md"


def test_the_docs_list_every_option_and_the_ignore_line() -> None:
    from test_pytest_plugin import IGNORE_CC_KEYS

    page = DOCS.read_text(encoding="utf-8")
    table = [row for row in page.splitlines() if row.startswith("| `--cc-")]
    for spec in OPTIONS:
        flag = spec.flags[0]
        assert any(f"`{flag}" in row and f"`{spec.ini}" in row for row in table), flag
    assert IGNORE_CC_KEYS.strip().rstrip(",") in page
