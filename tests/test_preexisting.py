"""Pre-existing is not new: a finding on lines the change did not add or change is labelled
`pre-existing` in every report and gates only when the filter admits its location (issue 13 item 3).

The real claude CLI against the fake API, real git; the reports are the ones `--report` writes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ccplugin.testing import reply, structured_output
from ccplugin.testing.runner import OfflineClaude
from conftest import git
from helpers import ccplugin, finding, review_output

pytestmark = pytest.mark.real_claude


@pytest.fixture
def changed(repo: Path) -> Path:
    """calc.py gains `sub` (lines 4-6 added, line 1 is context); old.py is committed and untouched."""
    (repo / "old.py").write_text("def legacy():\n    return eval(input())\n")
    git(repo, "add", "old.py")
    git(repo, "commit", "-q", "-m", "old")
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n")
    return repo


FINDINGS = (
    finding("calc.py", 6, "high", "Sign flipped"),  # an added line: new
    finding("calc.py", 1, "high", "Old naming"),  # a context line: pre-existing
    finding("old.py", 2, "critical", "eval of input"),  # an untouched file: pre-existing
)


def _review(root: Path, fake: type[OfflineClaude], *flags: str) -> tuple[int, str, Path]:
    claude = fake([reply(structured_output(review_output(*FINDINGS)), tool_offered="StructuredOutput")])
    out = root.parent / "reports"
    out.mkdir(exist_ok=True)
    reports = [f"--report={fmt}={out / ('r.' + fmt)}" for fmt in ("json", "junit", "sarif", "markdown")]
    run = ccplugin("review", "--fail-on", "high", "--no-cache", *flags, *reports, cwd=root, env=claude.env)
    return run.code, run.out, out


def test_pre_existing_findings_are_labelled_everywhere_and_do_not_gate_under_added(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    code, shown, out = _review(changed, cc_fake_claude, "--filter-mode", "added")
    assert code == 1  # the added line's finding gates
    note = "2 pre-existing finding(s) shown, not gating (filter: added)"
    assert note in shown
    doc = json.loads((out / "r.json").read_text())
    baselines = {f["title"]: f["baseline"] for f in doc["review"]["findings"]}
    assert baselines == {"Sign flipped": "new", "Old naming": "pre-existing", "eval of input": "pre-existing"}
    gating = {f["fingerprint"]: f["title"] for f in doc["review"]["findings"]}
    assert [gating[fp] for fp in doc["gate"]["gating"]] == ["Sign flipped"]
    assert note in doc["gate"]["reason"]
    sarif = json.loads((out / "r.sarif").read_text())
    states = {r["message"]["text"].split("\n")[0]: r["baselineState"] for r in sarif["runs"][0]["results"]}
    assert states == {
        "[high] Sign flipped": "new",
        "[high] Old naming": "unchanged",
        "[critical] eval of input": "unchanged",
    }
    junit = ET.parse(out / "r.junit")
    props = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in junit.iter("testcase")
    }
    by_baseline = {name: p["baseline"] for name, p in props.items() if "baseline" in p}
    assert sorted(by_baseline.values()) == ["new", "pre-existing", "pre-existing"]
    markdown = (out / "r.markdown").read_text()
    assert "[critical] eval of input (old.py:2) · outside_diff · pre-existing" in markdown
    assert "[high] Sign flipped (calc.py:6) · GATING · added · new" in markdown


def test_pre_existing_findings_gate_under_nofilter(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    code, _, out = _review(changed, cc_fake_claude, "--filter-mode", "nofilter")
    assert code == 1
    doc = json.loads((out / "r.json").read_text())
    assert len(doc["gate"]["gating"]) == 3
    assert "not gating" not in doc["gate"]["reason"]


def test_only_pre_existing_findings_pass_under_added(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([reply(structured_output(review_output(*FINDINGS[1:])), tool_offered="StructuredOutput")])
    run = ccplugin("review", "--fail-on", "high", "--filter-mode", "added", "--json", cwd=changed, env=claude.env)
    assert run.code == 0, run.err
    gate = run.json()["gate"]
    assert gate["status"] == "pass"
    assert gate["reason"].endswith("; 2 pre-existing finding(s) shown, not gating (filter: added)")


def test_the_local_default_filter_stays_nofilter(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([reply(structured_output(review_output(*FINDINGS[1:])), tool_offered="StructuredOutput")])
    run = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=claude.env)
    assert run.code == 1, run.err
    assert run.json()["gate"]["filter_mode"] == "nofilter"
