"""What one review job produced: the value every reporter renders and the job stores."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ccplugin import controls
from ccplugin.jobs.kinds import ReviewMode
from ccplugin.review.coverage import Coverage
from ccplugin.review.gate import GateOutcome, GatePolicy, GateStatus
from ccplugin.review.model import Finding, ReviewResult
from ccplugin.review.values import InputMode

if TYPE_CHECKING:  # a worker reading outcomes does not load target resolution
    from ccplugin.review.target import Target


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
class TargetSummary:
    """What was reviewed, as the record holds it: a :class:`~ccplugin.review.target.Target`'s fields."""

    repo_root: str | None = None
    scope: str | None = None  # working-tree | branch (a Scope value)
    base_ref: str | None = None
    merge_base: str | None = None
    head: str | None = None
    label: str | None = None

    @classmethod
    def of(cls, target: Target) -> TargetSummary:
        return cls.from_dict(target.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TargetSummary:
        return cls(**{f.name: d.get(f.name) for f in fields(cls)})


@dataclass(frozen=True)
class FileSummary:
    """One changed file the reviewer was told about."""

    path: str
    status: str  # A, M, D, R, C, T, U, ? (untracked)
    binary: bool = False
    old_path: str | None = None  # a rename's or copy's source
    skipped: str | None = None  # why its content was not shown

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path, "status": self.status, "binary": self.binary}
        return d | {k: v for k, v in (("old_path", self.old_path), ("skipped", self.skipped)) if v is not None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FileSummary:
        return cls(str(d["path"]), str(d["status"]), bool(d.get("binary")), d.get("old_path"), d.get("skipped"))


@dataclass(frozen=True)
class LeftOut:
    """A changed file left out of the review on purpose (generated, vendored, lock, minified)."""

    path: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LeftOut:
        return cls(str(d["path"]), str(d["kind"]))


@dataclass(frozen=True)
class InputSummary:
    """How the change reached the reviewer. A field is None when the record does not say (a review that
    did not run says nothing; merged shards leave out the byte counts): it is then left out of the JSON."""

    input_mode: InputMode | None = None
    files: tuple[FileSummary, ...] | None = None
    additions: int | None = None
    deletions: int | None = None
    diff_bytes: int | None = None
    budget_bytes: int | None = None
    target: TargetSummary | None = None
    not_reviewed: tuple[LeftOut, ...] | None = None
    inline_refused: bool | None = None  # claude refused the inlined diff: the reviewer read it with git

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = _plain(value)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InputSummary:
        files = d.get("files")
        target = d.get("target")
        mode = d.get("input_mode")
        left = d.get("not_reviewed")
        return cls(
            input_mode=InputMode(mode) if mode is not None else None,
            files=tuple(FileSummary.from_dict(f) for f in files) if files is not None else None,
            additions=d.get("additions"),
            deletions=d.get("deletions"),
            diff_bytes=d.get("diff_bytes"),
            budget_bytes=d.get("budget_bytes"),
            target=TargetSummary.from_dict(target) if target is not None else None,
            not_reviewed=tuple(LeftOut.from_dict(f) for f in left) if left is not None else None,
            inline_refused=d.get("inline_refused"),
        )

    @property
    def changed(self) -> tuple[FileSummary, ...]:
        return self.files or ()


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, (TargetSummary, FileSummary, LeftOut)):
        return value.to_dict()
    return value


@dataclass(frozen=True)
class ReviewOutcome:
    mode: ReviewMode
    gate: GateOutcome
    target: TargetSummary
    input: InputSummary
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
    cost_cap: dict[str, Any] = field(default_factory=dict)  # review.budget.Cap: the cap and whether it held
    prompt_version: str = ""
    policy: dict[str, Any] = field(default_factory=dict)  # where the judging policy came from (policy.Origin)
    coverage: Coverage | None = None  # the changed files the review saw (None: it did not run)
    rules: dict[str, Any] = field(default_factory=dict)  # the review rules it was given (review.rules.Rules)
    incremental: dict[str, Any] = field(default_factory=dict)  # since, commits, carried, fallback (review.increment)

    @property
    def input_mode(self) -> str:
        return str(self.input.input_mode or InputMode.NOTHING)

    @property
    def policy_source(self) -> str:
        """``.ccplugin.toml at 1a2b3c4 (base)``, ``defaults at … (HEAD)``; empty for an old record."""
        return str(self.policy.get("source", ""))

    @property
    def rules_source(self) -> str:
        """``REVIEW.md, AGENTS.md at 1a2b3c4 (base)``; empty when the reviewer was not called."""
        return str(self.rules.get("source", ""))

    @property
    def not_reviewed(self) -> str:
        """``2 file(s): package-lock.json (lock), gen/api.py (generated)``; empty when none was left out."""
        left = self.input.not_reviewed or ()
        if not left:
            return ""
        names = ", ".join(f"{f.path} ({f.kind})" for f in left[:20]) + (" …" if len(left) > 20 else "")
        return f"{len(left)} file(s): {names}"

    @property
    def incremental_line(self) -> str:
        """``incremental: 2 new commit(s) reviewed; 3 finding(s) carried forward from the review of 1a2b3c4…``,
        or why a review asked to be incremental reviewed the whole change; empty otherwise."""
        inc = self.incremental
        if inc.get("fallback"):
            return f"full review: {inc['fallback']}"
        if not inc.get("since"):
            return ""
        return (
            f"incremental: {inc.get('commits', 0)} new commit(s) reviewed; {inc.get('carried', 0)} finding(s) "
            f"carried forward from the review of {str(inc['since'])[:12]}"
        )

    def provenance(self) -> list[str]:
        """The optional lines every report gives on what judged the review and what it reused, in order."""
        facts = (
            ("Cost cap: ", self.cost_note),
            ("Policy: ", self.policy_source),
            ("Rules: ", self.rules_source),
            ("Cached: reuses the review of ", self.reused_from),
            ("", self.incremental_line),
        )
        return [f"{label}{value}" for label, value in facts if value]

    @property
    def cost_note(self) -> str:
        """``cap $0.50`` or the one line that says why the cap could not be held; empty without a cap."""
        return str(self.cost_cap.get("note", ""))

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
            "target": self.target.to_dict(),
            "input": self.input.to_dict(),
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
            "cost_cap": self.cost_cap,
            "prompt_version": self.prompt_version,
            "policy": self.policy,
            "coverage": self.coverage.to_dict() if self.coverage else None,
            "rules": self.rules,
            "incremental": self.incremental,
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
            target=TargetSummary.from_dict(d["target"]),
            input=InputSummary.from_dict(d["input"]),
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
            cost_cap=d.get("cost_cap") or {},
            prompt_version=d.get("prompt_version", ""),
            policy=d.get("policy") or {},
            coverage=Coverage.from_dict(d["coverage"]) if d.get("coverage") else None,
            rules=d.get("rules") or {},
            incremental=d.get("incremental") or {},
        )
