"""The command line in this process (``main([...])``): usage errors, and the one boundary for bugs.

The subprocess tier (tests/test_cli_errors.py) runs the installed command as a user does; this one costs a
function call, so every usage error can be checked, and the unexpected path can be made to happen.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from ccplugin import __version__, paths
from ccplugin.cli import main as cli_main
from ccplugin.errors import CCError, Exit
from helpers import CliRun

Cli = Callable[..., CliRun]


def one_line(run: CliRun, code: int, *words: str) -> str:
    assert run.code == code, (run.code, run.out, run.err)
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ccplugin: error: "), run.err
    assert "Traceback" not in run.err and run.out == ""
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), ("no command given", "`ccplugin --help`")),
        (("launch",), ("launch", "`ccplugin --help`")),
        (("review", "--frobnicate"), ("--frobnicate", "`ccplugin review --help`")),
        (("review", "--fail-on", "severe"), ("severe",)),
        (("review", "--effort", "huge"), ("huge", "low, medium")),
        (("status", "../../etc/passwd"), ()),
        (("result", "review-zz"), ()),
        (("cancel", "x" * 300), ()),
        (("ci",), ("needs a target", "`ccplugin ci github`")),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    cli: Cli, repo: Path, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    one_line(cli(*args, cwd=repo), Exit.USAGE, *words)


def test_not_a_repository_in_process(cli: Cli, tmp_path: Path) -> None:
    one_line(cli("review", cwd=tmp_path), Exit.USAGE, "not inside a git repository", "git init")


def test_version_and_help_exit_through_argparse(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli("--version")
    assert done.value.code == 0 and capsys.readouterr().out == f"ccplugin {__version__}\n"
    with pytest.raises(SystemExit) as done:
        cli("--help")
    assert done.value.code == 0 and "review" in capsys.readouterr().out


def test_status_with_no_jobs_in_process(cli: Cli, repo: Path) -> None:
    run = cli("status", cwd=repo)
    assert run.code == 0 and "No Claude Code jobs" in run.out
    assert cli("status", "--json", cwd=repo).json()["jobs"] == []
    one_line(cli("result", cwd=repo), Exit.USAGE, "no finished")


def test_an_expected_error_keeps_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    def fails() -> int:
        raise CCError("the thing is wrong", "do the other thing", Exit.NOT_REVIEWED)

    assert cli_main.guarded(fails) == Exit.NOT_REVIEWED
    assert capsys.readouterr().err == "ccplugin: error: the thing is wrong: do the other thing\n"


def test_interrupt_is_130_and_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted() -> int:
        raise KeyboardInterrupt

    assert cli_main.guarded(interrupted) == Exit.INTERRUPTED == 130
    assert capsys.readouterr().err == "ccplugin: interrupted (^C)\n"


def explode() -> int:
    raise ValueError("another test")


TRACE = (
    r"ccplugin: unexpected error \(a bug\); please report it with this trace:\n"
    r"Traceback \(most recent call last\):\n"
    r'  File ".+ccplugin.cli.main\.py", line \d+, in guarded\n'
    r"    return call\(\)\n"
    r"(           \^+\n)?"
    r'  File ".+test_cli_main\.py", line \d+, in explode\n'
    r'    raise ValueError\("another test"\)\n'
    r"ValueError: another test\n"
)


def test_a_bug_is_exit_70_with_its_trace_and_a_log(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.guarded(explode) == cli_main.BUG == 70
    err = capsys.readouterr().err
    assert re.match(TRACE, err), err
    log = Path(paths.state_root(), cli_main.LOG_FILE)
    assert err.endswith(f"\nccplugin: the trace and version information are also in {log}\n")
    logged = log.read_text()
    assert re.match(
        rf"### \S+ ccplugin {re.escape(__version__)}\npython 3\.\d+\.\d+ \(.+\) on {sys.platform}\n\n", logged
    )
    assert "ValueError: another test" in logged and logged.count("###") == 1
    cli_main.guarded(explode)
    assert log.read_text().count("###") == 2  # appended, one record per bug


def test_an_unwritable_state_root_still_reports_the_bug(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("CCPLUGIN_HOME", str(tmp_path / "file" / "state"))
    assert cli_main.guarded(explode) == 70
    err = capsys.readouterr().err
    assert re.match(TRACE, err) and "also in" not in err, err


def test_the_log_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "sk-ant-api03-" + "a" * 90

    def leaks() -> int:
        raise RuntimeError(f"token {secret}")

    assert cli_main.guarded(leaks) == 70
    assert secret not in capsys.readouterr().err
    assert secret not in Path(paths.state_root(), cli_main.LOG_FILE).read_text()


def test_main_routes_a_command_bug_through_the_boundary(
    cli: Cli, repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command module that raises (registered for this test) ends as exit 70, not a crash."""
    boom = types.ModuleType("ccplugin.cli.boom")
    boom.add_parser = lambda sub, name: sub.add_parser(name)  # type: ignore[attr-defined]
    boom.run_args = lambda args: explode()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ccplugin.cli.boom", boom)
    monkeypatch.setitem(cli_main.COMMANDS, "boom", ("boom", "raises"))
    run = cli("boom", cwd=repo)
    assert run.code == 70 and "ValueError: another test" in run.err and run.out == ""


def test_docs_cli_lists_every_exit_code() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    table = page.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    listed = {int(row.split("|")[1]) for row in table.splitlines() if row.startswith("| ") and row[2].isdigit()}
    assert {int(code) for code in Exit} | {cli_main.BUG} <= listed
