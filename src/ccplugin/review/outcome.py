"""What one review job produced: the value every reporter renders and the job stores."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ccplugin import controls
from ccplugin.jobs.kinds import ReviewMode
from ccplugin.review.coverage import Coverage
from ccplugin.review.gate import GateOutcome, GatePolicy, GateStatus
from ccplugin.review.model import Finding, ReviewResult


@dataclass(frozen=True)
class ReviewError:
    kind: str  # a FailureKind value, or "cancelled"
    message: str
    fix: str = ""

    def __post_init__(self) -> None:
        controls.clean_fields(self, "kind", "message", "fix")  # a failed run's message can be the model's text

    def line(self) -> str:
        return f"{self.message}: {self.fix}" if self.fix else self.message


@dataclass(frozen=True)
class ReviewOutcome:
    mode: ReviewMode
    gate: GateOutcome
    target: dict[str, Any]
    input: dict[str, Any]  # input_mode, files, additions, deletions, diff_bytes
    model: str
    effort: str | None
    review: ReviewResult | None = None
    error: ReviewError | None = None
    focus: str = ""
    job_id: str | None = None
    session_id: str | None = None
    session_persisted: bool = False
    cached: bool = False
    reused: dict[str, Any] = field(default_factory=dict)  # a hit's source: job_id, at (epoch seconds)
    usage: dict[str, Any] = field(default_factory=dict)
    cost_usd: float | None = None
    prompt_version: str = ""
    policy: dict[str, Any] = field(default_factory=dict)  # where the judging policy came from (policy.Origin)
    coverage: Coverage | None = None  # the changed files the review saw (None: it did not run)

    @property
    def input_mode(self) -> str:
        return str(self.input.get("input_mode", "nothing"))

    @property
    def policy_source(self) -> str:
        """``.ccplugin.toml at 1a2b3c4 (base)``, ``defaults at … (HEAD)``; empty for an old record."""
        return str(self.policy.get("source", ""))

    @property
    def reused_from(self) -> str:
        """For a cache hit: ``job review-… (2026-12-04 19:31:02 UTC)``; empty otherwise."""
        if not self.cached:
            return ""
        job = self.reused.get("job_id") or "a job no longer named (an older cache entry)"
        at = self.reused.get("at")
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at)) if isinstance(at, (int, float)) else ""
        return f"{job} ({when})" if when else str(job)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.review.worst_first() if self.review else ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "job_id": self.job_id,
            "gate": self.gate.to_dict(),
            "verdict": self.review.verdict if self.review else None,
            "review": self.review.to_dict() if self.review else None,
            "error": vars(self.error) if self.error else None,
            "target": self.target,
            "input": self.input,
            "input_mode": self.input_mode,
            "focus": self.focus,
            "model": self.model,
            "effort": self.effort,
            "session_id": self.session_id,
            "session_persisted": self.session_persisted,
            "cached": self.cached,
            "reused": self.reused,
            "usage": self.usage,
            "cost_usd": self.cost_usd,
            "prompt_version": self.prompt_version,
            "policy": self.policy,
            "coverage": self.coverage.to_dict() if self.coverage else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReviewOutcome:
        g = d["gate"]
        policy = GatePolicy(g.get("fail_on"), g.get("filter_mode", "nofilter"), g.get("on_error", "fail"))
        review = ReviewResult.from_dict(d["review"]) if d.get("review") else None
        gating = tuple(f for f in (review.findings if review else ()) if f.fingerprint in g["gating"])
        return cls(
            mode=ReviewMode(d["mode"]),
            gate=GateOutcome(GateStatus(g["status"]), g["reason"], gating, policy),
            target=d["target"],
            input=d["input"],
            model=d["model"],
            effort=d.get("effort"),
            review=review,
            error=ReviewError(**d["error"]) if d.get("error") else None,
            focus=d.get("focus", ""),
            job_id=d.get("job_id"),
            session_id=d.get("session_id"),
            session_persisted=bool(d.get("session_persisted")),
            cached=bool(d.get("cached")),
            reused=d.get("reused") or {},
            usage=d.get("usage") or {},
            cost_usd=d.get("cost_usd"),
            prompt_version=d.get("prompt_version", ""),
            policy=d.get("policy") or {},
            coverage=Coverage.from_dict(d["coverage"]) if d.get("coverage") else None,
        )
