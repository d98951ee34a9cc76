"""Deterministic scores of review findings against a case's labels: no model judges.

A finding *hits* a known bug when it names the bug's file and its line range overlaps the bug's
lines widened by the case's tolerance. At a severity threshold only the findings that would gate
there count (:func:`ccplugin.review.gate.gates`: the severity, the filter mode, waivers):

- recall: known bugs hit / known bugs (a case whose review failed hits nothing);
- precision: counted findings that hit a bug / counted findings (clean cases included);
- false-block rate: clean cases with a counted finding / clean cases reviewed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ccplugin.eval.corpus import Bug, Labels
from ccplugin.review.gate import GatePolicy, gates
from ccplugin.review.model import Finding
from ccplugin.review.values import SEVERITY_ORDER

THRESHOLDS: tuple[str, ...] = tuple(s.value for s in SEVERITY_ORDER)


class CaseStatus(StrEnum):
    REVIEWED = "reviewed"
    ERROR = "error"  # the review could not run or failed: never a pass, re-run on resume


class Outcome(StrEnum):
    HIT = "hit"  # a bug case: at least one known bug hit
    MISS = "miss"  # a bug case: no known bug hit
    PASS = "pass"  # a clean case: nothing would block it
    FALSE_BLOCK = "false-block"  # a clean case: a finding would block it
    ERROR = "error"


@dataclass(frozen=True)
class CaseResult:
    """What one case's review produced, as the results file stores it."""

    id: str
    kind: str
    language: str
    labels: Labels
    status: CaseStatus
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    cost_usd: float = 0.0
    seconds: float = 0.0
    input_mode: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "language": self.language,
            "labels": self.labels.to_dict(),
            "status": self.status.value,
            "findings": [f.to_dict() for f in self.findings],
            "error": self.error,
            "cost_usd": self.cost_usd,
            "seconds": self.seconds,
            "input_mode": self.input_mode,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaseResult:
        return cls(
            id=str(d["id"]),
            kind=str(d["kind"]),
            language=str(d["language"]),
            labels=Labels.from_dict(d["labels"]),
            status=CaseStatus(d["status"]),
            findings=tuple(Finding.from_dict(f) for f in d.get("findings", [])),
            error=d.get("error"),
            cost_usd=float(d.get("cost_usd") or 0.0),
            seconds=float(d.get("seconds") or 0.0),
            input_mode=str(d.get("input_mode", "")),
        )


def hits(finding: Finding, bug: Bug, tolerance: int) -> bool:
    """The finding names the bug's file and its lines overlap the bug's, widened by ``tolerance``."""
    return (
        finding.file == bug.file
        and finding.line_start <= bug.end + tolerance
        and finding.line_end >= bug.start - tolerance
    )


def counted(findings: Sequence[Finding], threshold: str, filter_mode: str) -> tuple[Finding, ...]:
    """The findings that would fail a gate at ``threshold``."""
    policy = GatePolicy(threshold, filter_mode)
    return tuple(f for f in findings if gates(f, policy))


@dataclass(frozen=True)
class CaseScore:
    outcome: Outcome
    bugs_hit: int
    findings: int  # counted at the threshold
    true_findings: int  # of those, the ones that hit a known bug


def score_case(result: CaseResult, threshold: str, filter_mode: str) -> CaseScore:
    if result.status is CaseStatus.ERROR:
        return CaseScore(Outcome.ERROR, 0, 0, 0)
    found = counted(result.findings, threshold, filter_mode)
    tol = result.labels.tolerance
    true = sum(1 for f in found if any(hits(f, b, tol) for b in result.labels.bugs))
    if result.labels.clean:
        return CaseScore(Outcome.FALSE_BLOCK if found else Outcome.PASS, 0, len(found), 0)
    hit = sum(1 for b in result.labels.bugs if any(hits(f, b, tol) for f in found))
    return CaseScore(Outcome.HIT if hit else Outcome.MISS, hit, len(found), true)


@dataclass(frozen=True)
class Totals:
    """The scores of a run at one severity threshold."""

    threshold: str
    bugs: int
    bugs_hit: int
    findings: int
    true_findings: int
    clean_reviewed: int
    false_blocks: int

    @property
    def recall(self) -> float | None:
        return self.bugs_hit / self.bugs if self.bugs else None

    @property
    def precision(self) -> float | None:
        return self.true_findings / self.findings if self.findings else None

    @property
    def false_block_rate(self) -> float | None:
        return self.false_blocks / self.clean_reviewed if self.clean_reviewed else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "recall": self.recall,
            "precision": self.precision,
            "false_block_rate": self.false_block_rate,
            "bugs": self.bugs,
            "bugs_hit": self.bugs_hit,
            "findings": self.findings,
            "true_findings": self.true_findings,
            "clean_reviewed": self.clean_reviewed,
            "false_blocks": self.false_blocks,
        }


def totals(results: Sequence[CaseResult], threshold: str, filter_mode: str) -> Totals:
    scores = [(r, score_case(r, threshold, filter_mode)) for r in results]
    clean = [s for r, s in scores if r.labels.clean and s.outcome is not Outcome.ERROR]
    return Totals(
        threshold=threshold,
        bugs=sum(len(r.labels.bugs) for r in results),
        bugs_hit=sum(s.bugs_hit for _, s in scores),
        findings=sum(s.findings for _, s in scores),
        true_findings=sum(s.true_findings for _, s in scores),
        clean_reviewed=len(clean),
        false_blocks=sum(1 for s in clean if s.outcome is Outcome.FALSE_BLOCK),
    )
