"""The gate: PASS / FAIL / ERROR decided in code from structured findings, never from prose."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ccplugin import controls
from ccplugin.errors import Exit
from ccplugin.review.model import SEVERITY_RANK, Finding, Location, ReviewResult
from ccplugin.review.values import Baseline, FilterMode

# filter mode → locations whose findings may gate (reviewdog's vocabulary)
_FILTERS: dict[str, frozenset[Location]] = {
    FilterMode.ADDED: frozenset({Location.ADDED}),
    FilterMode.DIFF_CONTEXT: frozenset({Location.ADDED, Location.CONTEXT}),
    FilterMode.FILE: frozenset({Location.ADDED, Location.CONTEXT, Location.IN_FILE}),
    FilterMode.NOFILTER: frozenset(Location),
}


class GateStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # could not review: never a pass
    NOTHING = "nothing"  # nothing to review: never a pass either
    OFF = "off"  # review completed, no fail_on threshold: report only

    @property
    def label(self) -> str:
        """How every report names the gate (the GitHub summary adds :data:`EMOJI`)."""
        return _LABELS[self]


_LABELS = {
    GateStatus.PASS: "PASS",
    GateStatus.FAIL: "FAIL",
    GateStatus.ERROR: "ERROR (not reviewed)",
    GateStatus.NOTHING: "NOTHING TO REVIEW (not a pass)",
    GateStatus.OFF: "off (report only: no fail-on threshold; pass --fail-on to gate)",
}
EMOJI = {
    GateStatus.PASS: "✅",
    GateStatus.FAIL: "❌",
    GateStatus.ERROR: "⚠️",
    GateStatus.NOTHING: "➖",
    GateStatus.OFF: "ℹ️",
}


@dataclass(frozen=True)
class GatePolicy:
    fail_on: str | None = None  # None / "none" → report only
    filter_mode: str = "nofilter"
    on_error: str = "fail"

    def to_dict(self) -> dict[str, Any]:
        return {"fail_on": self.fail_on, "filter_mode": self.filter_mode, "on_error": self.on_error}


@dataclass(frozen=True)
class GateOutcome:
    status: GateStatus
    reason: str
    gating: tuple[Finding, ...] = ()
    policy: GatePolicy = GatePolicy()

    def __post_init__(self) -> None:
        controls.clean_fields(self, "reason")  # it quotes error text and shard reasons

    @property
    def exit_code(self) -> int:
        if self.status is GateStatus.FAIL:
            return Exit.GATE_FAIL
        if self.status is GateStatus.ERROR:
            return Exit.OK if self.policy.on_error == "pass" else Exit.NOT_REVIEWED
        if self.status is GateStatus.NOTHING:
            return Exit.NOTHING
        return Exit.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "reason": self.reason,
            "gating": [f.fingerprint for f in self.gating],
            "exit_code": self.exit_code,
            **self.policy.to_dict(),
        }


def gates(finding: Finding, policy: GatePolicy) -> bool:
    """Whether one finding, on its own, fails the gate under ``policy``."""
    if policy.fail_on in (None, "none") or finding.suppressed is not None:
        return False
    if not admits(policy, finding):
        return False
    return finding.rank <= SEVERITY_RANK[policy.fail_on]


def admits(policy: GatePolicy, finding: Finding) -> bool:
    """Whether ``policy``'s filter lets a finding at this diff location gate."""
    return finding.location in _FILTERS[policy.filter_mode]


def held_back(findings: Iterable[Finding], policy: GatePolicy) -> tuple[Finding, ...]:
    """The unsuppressed pre-existing findings that the filter keeps from gating."""
    return tuple(
        f for f in findings if f.baseline is Baseline.PRE_EXISTING and f.suppressed is None and not admits(policy, f)
    )


def held_back_note(findings: Iterable[Finding], policy: GatePolicy) -> str:
    """``2 pre-existing finding(s) shown, not gating (filter: added)``; empty when there are none."""
    n = len(held_back(findings, policy))
    return f"{n} pre-existing finding(s) shown, not gating (filter: {policy.filter_mode})" if n else ""


def decide(result: ReviewResult, policy: GatePolicy) -> GateOutcome:
    gating = tuple(f for f in result.worst_first() if gates(f, policy))
    if policy.fail_on in (None, "none"):
        return GateOutcome(GateStatus.OFF, "no fail_on threshold: findings reported only", (), policy)
    note = held_back_note(result.findings, policy)
    if gating:
        worst = gating[0].severity
        reason = f"{len(gating)} finding(s) at or above {policy.fail_on} (worst: {worst})"
        return GateOutcome(GateStatus.FAIL, _with(reason, note), gating, policy)
    reason = f"no unsuppressed finding at or above {policy.fail_on} ({policy.filter_mode})"
    return GateOutcome(GateStatus.PASS, _with(reason, note), (), policy)


def _with(reason: str, note: str) -> str:
    return f"{reason}; {note}" if note else reason


def error(reason: str, policy: GatePolicy) -> GateOutcome:
    return GateOutcome(GateStatus.ERROR, reason, (), policy)


def nothing(reason: str, policy: GatePolicy) -> GateOutcome:
    return GateOutcome(GateStatus.NOTHING, reason, (), policy)
