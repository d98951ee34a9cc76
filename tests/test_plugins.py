"""Third-party reporters: found through installed entry points only, selected with ``--report FORMAT=PATH``."""

from __future__ import annotations

import os
import shutil
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest

from ccplugin import plugins
from ccplugin.hookspecs import hookimpl
from ccplugin.review.model import Finding, ReviewResult
from ccplugin.testing import reply, structured_output
from ccplugin.testing.runner import OfflineClaude
from helpers import ccplugin, finding, install_reporter, review_output


def test_a_declared_plugin_is_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_reporter(tmp_path, "ccplugin")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert plugins.may_declare("ccplugin")
    assert "shouty" in plugins.host().formats()


def test_other_groups_do_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_reporter(tmp_path, "not-ccplugin")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert not plugins.may_declare("ccplugin-test-group")
    assert plugins.may_declare("not-ccplugin")


def test_a_zip_on_the_path_counts_as_may(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    monkeypatch.syspath_prepend(str(archive))
    assert plugins.may_declare("ccplugin-test-group")


# ---- reporters selected with --report: a test-only plugin is one module plus one entry-point line ----


def structured(*findings: dict[str, object]) -> list[object]:
    return [reply(structured_output(review_output(*findings)), tool_offered="StructuredOutput")]


def with_site(env: Mapping[str, str], site: Path) -> dict[str, str]:
    return {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH", "")) if p)}


@pytest.mark.real_claude
def test_a_plugins_format_is_written_by_report(repo: Path, tmp_path: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    site = tmp_path / "site"
    install_reporter(site, "ccplugin")
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    claude = cc_fake_claude(structured(finding("calc.py", 2)))
    out = tmp_path / "out"
    run = ccplugin(
        "review",
        "--fail-on",
        "high",
        "--report",
        f"shouty={out / 'cc.txt'}",
        "--report",
        f"junit={out / 'cc.xml'}",
        cwd=repo,
        env=with_site(claude.env, site),
    )
    assert run.code == 1, run.err
    assert (out / "cc.txt").read_text() == "1 FINDING(S) AT OR ABOVE HIGH (WORST: HIGH)"
    assert "<testsuites" in (out / "cc.xml").read_text()


def test_an_unknown_format_is_one_line_naming_the_known_ones(repo: Path, tmp_path: Path) -> None:
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    run = ccplugin("review", "--report", f"shouty={tmp_path / 'cc.txt'}", cwd=repo, env=os.environ)
    assert run.code == 7
    assert run.err.strip().splitlines() == [
        "ccplugin: error: unknown report format 'shouty': use one of: json, junit, markdown, sarif "
        "(a plugin adds more: see docs/plugins.md)"
    ]
    assert not (tmp_path / "cc.txt").exists()


def test_report_needs_format_and_path(repo: Path) -> None:
    run = ccplugin("review", "--report", "junit", cwd=repo, env=os.environ)
    assert run.code == 2
    assert "expected FORMAT=PATH (e.g. junit=cc-review.xml), got 'junit'" in run.err
    assert "Traceback" not in run.err


def test_an_unwritable_report_is_refused_before_the_review(repo: Path) -> None:
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    run = ccplugin("review", "--report", f"json={repo / 'calc.py' / 'cc.json'}", cwd=repo, env=os.environ)
    assert run.code == 2, run.err
    (line,) = run.err.strip().splitlines()
    assert line.startswith(f"ccplugin: error: cannot write the report {repo / 'calc.py' / 'cc.json'}: ")
    assert line.endswith(": pass a writable path")


PR_REPORTER = """
import pathlib
pathlib.Path(__file__).with_name("pwned").write_text("imported")
from ccplugin.hookspecs import hookimpl


class Evil:
    name, suffix = "evil", ".txt"

    def render(self, outcome):
        return "evil"


@hookimpl
def ccplugin_reporters():
    return [Evil()]
"""


def test_a_change_under_review_cannot_add_a_reporter(repo: Path, tmp_path: Path) -> None:
    """The working directory is the change in CI (``python -m`` puts it on sys.path): its files load nothing."""
    info = repo / "evil-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[ccplugin]\nevil = evil_reporter\n")
    (repo / "evil_reporter.py").write_text(PR_REPORTER)
    run = ccplugin("review", "--report", f"evil={tmp_path / 'cc.txt'}", cwd=repo, env=os.environ)
    assert run.code == 7, run.err
    assert "unknown report format 'evil'" in run.err
    assert not (repo / "pwned").exists()


# ---- the findings filter is one chain: each implementation gets the one before's answer ----


class Rerate:
    @hookimpl
    def ccplugin_filter_findings(self, findings: list[Finding]) -> list[Finding]:
        return [f.with_(severity="low") if f.title == "Sign flipped" else f for f in findings]


class Record:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    @hookimpl(trylast=True)
    def ccplugin_filter_findings(self, findings: list[Finding]) -> list[Finding]:
        self.seen = [(f.title, f.severity) for f in findings]
        return [f for f in findings if f.title != "Old naming"]


class Abstain:
    @hookimpl(tryfirst=True)
    def ccplugin_filter_findings(self, findings: list[Finding]) -> None:
        return None


def test_findings_filters_form_a_chain() -> None:
    record = Record()
    hooks = plugins.host(Abstain(), record, Rerate())
    given = (Finding.from_dict(finding("calc.py", 6)), Finding.from_dict(finding("calc.py", 1, "medium", "Old naming")))
    result = hooks.filter_findings(ReviewResult("needs-attention", "two", given, ()))
    assert record.seen == [("Sign flipped", "low"), ("Old naming", "medium")]  # after Rerate, whatever the order
    assert [(f.title, f.severity) for f in result.findings] == [("Sign flipped", "low")]
    assert plugins.host().filter_findings(ReviewResult("approve", "", given, ())).findings == given  # per host


# ---- the worked example of docs/plugins.md, installed as pip would lay it out ----

EXAMPLE = Path(__file__).parent.parent / "examples" / "plugins" / "ccplugin-csv"


def install_example(site: Path) -> None:
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    declared = "".join(f"{k} = {v}\n" for k, v in project["entry-points"]["ccplugin"].items())
    (info / "entry_points.txt").write_text(f"[ccplugin]\n{declared}")
    shutil.copy(EXAMPLE / "ccplugin_csv.py", site)


@pytest.mark.real_claude
def test_the_documented_example_plugin(repo: Path, tmp_path: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    install_example(tmp_path / "site")
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (repo / "vendor").mkdir()
    (repo / "vendor" / "lib.py").write_text("X = 1\n")
    claude = cc_fake_claude(structured(finding("calc.py", 2), finding("vendor/lib.py", 1, "critical", "Vendored")))
    out = tmp_path / "cc.csv"
    run = ccplugin(
        "review", "--fail-on", "high", "--report", f"csv={out}", cwd=repo, env=with_site(claude.env, tmp_path / "site")
    )
    assert run.code == 1, run.err
    assert out.read_text() == "severity,file,line,title,gating\nhigh,calc.py,2,Sign flipped,True\n"
    assert "Vendored" not in run.out  # the example's filter dropped it before the gate


def test_a_change_under_review_cannot_shadow_an_installed_module(repo: Path, tmp_path: Path) -> None:
    """``python -m ccplugin`` in the change's checkout (as the Action runs it): its ``pluggy.py`` is not imported."""
    (repo / "pluggy.py").write_text(
        "import pathlib\npathlib.Path(__file__).with_name('pwned').write_text('imported')\nraise SystemExit(99)\n"
    )
    run = ccplugin("review", "--report", f"nope={tmp_path / 'x'}", cwd=repo, env=os.environ)
    assert run.code == 7, run.err
    assert not (repo / "pwned").exists()
