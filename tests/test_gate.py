from __future__ import annotations

import pytest

from ccplugin.errors import Exit
from ccplugin.review import gate
from ccplugin.review.gate import GatePolicy, GateStatus
from ccplugin.review.model import Finding, Location, ReviewResult


def finding(severity: str, location: Location = Location.ADDED, suppressed: str | None = None) -> Finding:
    return Finding(
        severity=severity,
        title=f"{severity} issue",
        body="body",
        file="calc.py",
        line_start=2,
        line_end=2,
        confidence=0.9,
        recommendation="fix it",
        fingerprint=f"fp-{severity}-{location.value}",
        location=location,
        suppressed=suppressed,
    )


def result(*findings: Finding) -> ReviewResult:
    return ReviewResult("needs-attention" if findings else "approve", "summary", findings)


@pytest.mark.parametrize(
    ("fail_on", "severity", "status"),
    [
        ("high", "critical", GateStatus.FAIL),
        ("high", "high", GateStatus.FAIL),
        ("high", "medium", GateStatus.PASS),
        ("low", "low", GateStatus.FAIL),
        ("critical", "high", GateStatus.PASS),
    ],
)
def test_threshold(fail_on: str, severity: str, status: GateStatus) -> None:
    outcome = gate.decide(result(finding(severity)), GatePolicy(fail_on=fail_on))
    assert outcome.status is status


@pytest.mark.parametrize(
    ("mode", "location", "status"),
    [
        ("added", Location.ADDED, GateStatus.FAIL),
        ("added", Location.CONTEXT, GateStatus.PASS),
        ("diff_context", Location.CONTEXT, GateStatus.FAIL),
        ("diff_context", Location.IN_FILE, GateStatus.PASS),
        ("file", Location.IN_FILE, GateStatus.FAIL),
        ("file", Location.OUTSIDE, GateStatus.PASS),
        ("nofilter", Location.OUTSIDE, GateStatus.FAIL),
    ],
)
def test_filter_mode(mode: str, location: Location, status: GateStatus) -> None:
    outcome = gate.decide(result(finding("high", location)), GatePolicy("high", mode))
    assert outcome.status is status


def test_suppressed_findings_never_gate() -> None:
    outcome = gate.decide(result(finding("critical", suppressed="accepted")), GatePolicy("low"))
    assert outcome.status is GateStatus.PASS
    assert outcome.gating == ()


def test_no_threshold_reports_only_and_exits_zero() -> None:
    outcome = gate.decide(result(finding("critical")), GatePolicy(None))
    assert outcome.status is GateStatus.OFF
    assert outcome.exit_code == Exit.OK


def test_gating_findings_are_worst_first() -> None:
    outcome = gate.decide(result(finding("medium"), finding("critical"), finding("high")), GatePolicy("medium"))
    assert [f.severity for f in outcome.gating] == ["critical", "high", "medium"]
    assert outcome.exit_code == Exit.GATE_FAIL
    assert "worst: critical" in outcome.reason


def test_error_is_never_a_pass() -> None:
    failing = gate.error("could not review: 529", GatePolicy("high", on_error="fail"))
    lenient = gate.error("could not review: 529", GatePolicy("high", on_error="pass"))
    assert failing.exit_code == Exit.NOT_REVIEWED
    assert lenient.exit_code == Exit.OK
    assert failing.status is lenient.status is GateStatus.ERROR


def test_nothing_to_review_has_its_own_exit_code() -> None:
    outcome = gate.nothing("nothing to review", GatePolicy("high"))
    assert outcome.status is GateStatus.NOTHING
    assert outcome.exit_code == Exit.NOTHING
