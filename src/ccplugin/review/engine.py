"""One review, end to end: target → input → prompt → claude → findings → gate."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ccplugin import config, git, plugins
from ccplugin.claude import env as claude_env
from ccplugin.claude import models
from ccplugin.claude.runner import failure_error
from ccplugin.claude.types import ClaudeFailure, FailureKind, Mode, RunResult, RunSpec
from ccplugin.errors import CCError
from ccplugin.jobs import kinds
from ccplugin.jobs.context import JobContext, run_claude
from ccplugin.jobs.kinds import ReviewMode
from ccplugin.redact import redact_json
from ccplugin.review import (
    budget,
    coverage,
    findings,
    gate,
    generated,
    increment,
    inflight,
    policy,
    prompts,
    rules,
    suppress,
)
from ccplugin.review.cache import Cache, KeyParts, key
from ccplugin.review.collect import PathFilter, ReviewInput, collect
from ccplugin.review.model import Finding, ReviewResult
from ccplugin.review.outcome import InputSummary, ReviewError, ReviewOutcome, TargetSummary
from ccplugin.review.policy import Policy
from ccplugin.review.target import BaseHint, Target, resolve_target
from ccplugin.review.values import InputMode, Scope, Verdict

__all__ = ["JobContext", "Prepared", "ReviewRequest", "execute", "prepare"]


@dataclass(frozen=True)
class ReviewRequest:
    """What the user asked for; ``None`` means "use the settings file or the default"."""

    cwd: str
    mode: ReviewMode = ReviewMode.REVIEW
    scope: str = "auto"
    base: str | None = None
    focus: str = ""
    model: str | None = None
    effort: str | None = None
    fail_on: str | None = None
    filter_mode: str | None = None
    filter_default: str | None = None  # the surface's filter when neither the flag nor the settings file names one
    on_error: str | None = None
    timeout: float | None = None
    max_turns: int | None = None
    max_cost_usd: float | None = None  # the cost cap of this review's Claude runs, USD
    max_pr_cost_usd: float | None = None  # CI: the cap of every review of the pull request (ccplugin.ci.runner)
    budget_bytes: int | None = None
    use_cache: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    policy_rev: str | None = None  # the commit whose policy judges a working-tree review (default HEAD)
    since: str | None = None  # the head an earlier review saw: review only what is new (review.increment)
    base_hint: BaseHint | None = None  # the CI's base branch, from its provider (ccplugin.ci.providers)
    # False where no resume is offered (CI): Claude runs with --no-session-persistence, so no
    # transcript (which holds raw tool results) stays in the runner's Claude config folder
    persist_session: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReviewRequest:
        tuples = {"include": tuple(d.get("include", ())), "exclude": tuple(d.get("exclude", ()))}
        mode = ReviewMode(d.get("mode", ReviewMode.REVIEW))
        return cls(**{**d, **tuples, "mode": mode, "base_hint": BaseHint.from_dict(d.get("base_hint"))})


@dataclass(frozen=True)
class Prepared:
    request: ReviewRequest
    target: Target
    settings: config.Settings
    model: str
    effort: str | None
    policy: gate.GatePolicy
    trusted: Policy  # the settings and waivers from before the change, and where they came from
    hooks: plugins.Plugins = field(compare=False, repr=False)  # the host's plugins: its findings filters judge

    @property
    def title(self) -> str:
        return f"{kinds.of_mode(self.request.mode).title} of {self.target.label}"


def prepare(req: ReviewRequest, hooks: plugins.Plugins | None = None) -> Prepared:
    """Validate everything that can be checked before a job exists (bad input → CCError).

    ``hooks`` is the host's plugin manager (default: one built for this review)."""
    if req.mode not in tuple(ReviewMode):
        raise CCError(f"unknown review mode {req.mode!r}", f"use one of: {', '.join(ReviewMode)}")
    target, trusted = _judged_by(git.toplevel(Path(req.cwd)), req)
    if req.since and target.scope is not Scope.BRANCH:
        raise CCError("`--since` only applies to a branch review", "drop `--since`, or use `--scope branch`")
    settings = trusted.settings.override(
        fail_on=req.fail_on,
        filter_mode=_filter_mode(req, trusted.settings),
        on_error=req.on_error,
        timeout=req.timeout,
        max_turns=req.max_turns,
        max_cost_usd=req.max_cost_usd,
        max_pr_cost_usd=req.max_pr_cost_usd,
        budget_bytes=req.budget_bytes,
        model=req.model,
        effort=req.effort,
    )
    model, effort = models.resolve(settings.model, settings.effort)
    gate_policy = gate.GatePolicy(settings.fail_on, settings.filter_mode, settings.on_error)
    hooks = plugins.host() if hooks is None else hooks
    return Prepared(req, target, settings, model, effort, gate_policy, trusted, hooks)


def _filter_mode(req: ReviewRequest, settings: config.Settings) -> str | None:
    """The flag's filter; else the settings file's; else the surface's own default (CI: ``added``)."""
    if req.filter_mode is not None or "filter_mode" in settings.given:
        return req.filter_mode
    return req.filter_default


def _judged_by(root: Path, req: ReviewRequest) -> tuple[Target, Policy]:
    """The target, and the policy from before it: the merge-base's for a branch, HEAD's for a working tree.

    With ``auto``, HEAD's policy is read first: its filter decides whether the work tree counts as dirty."""
    head = policy.at(root, _head_rev(root, req), "HEAD") if _head_policy_needed(req) else None
    relevant = _path_filter(head.settings if head else config.Settings(), req)
    cwd, hint = Path(req.cwd), req.base_hint
    target = resolve_target(cwd, req.scope, req.base, relevant=relevant or None, root=root, hint=hint)
    if target.scope is Scope.BRANCH:
        return target, policy.at(root, target.merge_base, "base")
    assert head is not None  # only a scope that reads HEAD's policy resolves to the working tree
    return target, head


def _head_policy_needed(req: ReviewRequest) -> bool:
    """A working tree is judged by HEAD's policy, and ``auto`` asks HEAD's filter whether the tree is dirty."""
    return req.scope == "working-tree" or (req.scope == "auto" and not (req.base or "").strip())


def _head_rev(root: Path, req: ReviewRequest) -> str | None:
    """``policy_rev`` (the commit a Codex turn started from), else HEAD (None: no commits yet)."""
    if not req.policy_rev:
        return git.commit_of(root, "HEAD")
    rev = git.commit_of(root, req.policy_rev)
    if rev is None:
        raise CCError(f"the policy commit `{req.policy_rev}` is not in this repository", "pass a commit of this one")
    return rev


def _path_filter(settings: config.Settings, req: ReviewRequest) -> PathFilter:
    return PathFilter(settings.include + req.include, settings.exclude + req.exclude)


def execute(prep: Prepared, ctx: JobContext) -> ReviewOutcome:
    """Run the review; every Claude failure ends as gate ERROR, never as a pass."""
    ctx.on_phase("collecting diff")
    s = prep.settings
    root, rev = prep.target.repo_root, prep.trusted.origin.rev
    cache = Cache.of(ctx.state_root, ctx.env)
    plan = increment.plan(prep, cache, ctx.env)
    inp = collect(
        plan.target,
        s.include + prep.request.include,
        s.exclude + prep.request.exclude,
        s.budget_bytes,
        leave_out=generated.classifier(root, rev, s.review_generated),
    )
    edited = policy.edited(prep.target, prep.trusted, PathFilter(prep.request.include, prep.request.exclude))
    marked = policy.findings(edited, plan.hunks if plan.hunks is not None else inp.hunks)
    if inp.input_mode == InputMode.NOTHING and plan.incremental:  # nothing reviewable is new: review the whole
        return execute(replace(prep, request=replace(prep.request, since=None)), ctx)
    if inp.input_mode == InputMode.NOTHING:
        return _nothing(prep, _outcome(prep, inp, ctx, edited, plan=plan), marked, inp)
    guide = rules.gather(root, prep.trusted.origin, s, inp.files)
    base = _outcome(prep, inp, ctx, edited, guide, plan)
    k = key(_key_parts(prep, inp, guide, plan))
    if not (prep.request.use_cache and s.cache):  # --no-cache: never waits, never reads
        return _review(prep, inp, ctx, base, marked, cache, k, guide, plan)
    hit = _usable(cache.get(k))
    if hit is None:
        claim = _claim(prep, ctx, cache, k)
        if claim is None and ctx.cancelled():
            return _failed(prep, base, _CANCELLED_WAITING, RunResult(exit_code=None))
        try:
            hit = _usable(cache.get(k))  # the review we waited for stored its result; a failed one did not
            if hit is None:
                return _review(prep, inp, ctx, base, marked, cache, k, guide, plan)
        finally:
            if claim is not None:
                claim.release()
    ctx.on_phase("cached")
    return _finish(
        prep, base, ReviewResult.from_dict(hit["review"]), hit, cached=True, marked=marked, plan=plan, cache=cache
    )


def _usable(hit: dict[str, Any] | None) -> dict[str, Any] | None:
    """A cache entry that says what its review covered (older entries do not: they are a miss)."""
    return hit if hit is not None and hit.get("coverage") else None


def _key_parts(prep: Prepared, inp: ReviewInput, guide: rules.Rules, plan: increment.Plan) -> KeyParts:
    s = prep.settings
    return KeyParts(
        digest=inp.digest(),
        mode=prep.request.mode,
        focus=prep.request.focus,
        model=prep.model,
        effort=prep.effort,
        include=s.include + prep.request.include,
        exclude=s.exclude + prep.request.exclude,
        scope=prep.target.scope,
        base_ref=prep.target.base_ref,
        commits=inp.commits,
        budget_bytes=s.budget_bytes,
        rules=guide.digest(),
        incremental=plan.incremental,
    )


_WAIT_MARGIN = 60.0  # beyond the review's own timeout: collecting, starting claude, storing
_CANCELLED_WAITING = ClaudeFailure(
    FailureKind.CANCELLED, "cancelled while waiting for the same review in flight", "re-run the review"
)


def _claim(prep: Prepared, ctx: JobContext, cache: Cache, k: str) -> inflight.Claim | None:
    """The key's in-flight lock, after waiting (visibly, bounded) for a review of it already running.

    None when the wait was cancelled or ran out: the caller then runs its own review unlocked."""

    def waiting(holder: str) -> None:
        ctx.on_phase(f"waiting for {holder or 'a review'} already in flight for this change")

    bound = prep.settings.timeout + _WAIT_MARGIN
    return inflight.claim(cache.inflight, k, ctx.job_id, bound=bound, on_wait=waiting, cancelled=ctx.cancelled)


def _review(
    prep: Prepared,
    inp: ReviewInput,
    ctx: JobContext,
    base: Callable[..., ReviewOutcome],
    marked: tuple[Finding, ...],
    cache: Cache,
    k: str,
    guide: rules.Rules,
    plan: increment.Plan,
) -> ReviewOutcome:
    """Run Claude on the change and store what it found under ``k``; every failure is gate ERROR."""
    cap = budget.Cap.of(prep.settings.max_cost_usd, ctx.env)
    try:
        run = _run_claude(prep, inp, ctx, guide, cap.left(0.0))
        if run.failure == FailureKind.PROMPT_TOO_LONG and inp.fallback_context:
            ctx.on_phase("claude refused the inlined diff as too long: the reviewer reads it with git instead")
            inp = inp.self_collected()  # the outcome and the cache then say what the reviewer was given
            base, k = (
                functools.partial(base, input=InputSummary.from_dict(inp.to_summary())),
                key(_key_parts(prep, inp, guide, plan)),
            )
            run = _again(prep, inp, ctx, guide, cap, run)
    except ClaudeFailure as e:  # claude missing, or no network inside Codex's sandbox
        return _failed(prep, base, e, RunResult(exit_code=None))
    if not run.ok:
        return _failed(prep, base, failure_error(run), run)
    seen = covered(inp, run)
    if seen.saw_nothing:
        return _failed(prep, base, _saw_nothing(seen), run, seen)
    if run.structured is None:  # the runner gives structured output to a successful run only
        return _failed(prep, base, _NO_ANSWER, run)
    # the reviewer may quote a secret it read: mask our secrets' values and secret-shaped text
    structured = redact_json(run.structured, claude_env.Redactor.from_env(ctx.env))
    result = findings.parse(structured, plan.hunks if plan.hunks is not None else inp.hunks, prep.target.repo_root)
    stored = {
        "review": result.to_dict(),
        "run": run.to_dict(),
        "coverage": seen.to_dict(),
        "job_id": ctx.job_id,
        "at": time.time(),
    }
    cache.put(k, stored)
    return _finish(prep, base, result, stored, cached=False, marked=marked, plan=plan, cache=cache)


_NO_ANSWER = ClaudeFailure(
    FailureKind.STRUCTURED_MISSING,
    "claude finished without structured output",
    "retry; the model answered without the StructuredOutput tool",
)


def covered(inp: ReviewInput, run: RunResult) -> coverage.Coverage:
    """The changed files the review saw: all of them inline, else what its successful calls showed."""
    if inp.input_mode == InputMode.INLINE:
        return coverage.of_prompt(inp.files)
    # the root the reviewer's paths are relative to: the run's working directory (see _run_claude)
    return coverage.of_tools(inp.files, run.tool_calls, inp.target.repo_root)


def _saw_nothing(seen: coverage.Coverage) -> ClaudeFailure:
    return ClaudeFailure(
        FailureKind.SAW_NOTHING,
        f"the reviewer never saw the change: the diff was over budget and no successful read or git diff "
        f"showed any of its {seen.total} changed file(s)",
        "re-run, or raise `--budget-bytes` so the diff is inlined",
    )


def _outcome(
    prep: Prepared,
    inp: ReviewInput,
    ctx: JobContext,
    edited: tuple[str, ...],
    guide: rules.Rules | None = None,
    plan: increment.Plan | None = None,
) -> Callable[..., ReviewOutcome]:
    origin = replace(prep.trusted.origin, edited=edited).to_dict()
    used = guide.to_dict() if guide is not None else {}
    cap = budget.Cap.of(prep.settings.max_cost_usd, ctx.env)

    def build(**fields: Any) -> ReviewOutcome:
        fields.setdefault("input", InputSummary.from_dict(inp.to_summary()))
        return ReviewOutcome(
            mode=prep.request.mode,
            target=TargetSummary.of(prep.target),
            model=prep.model,
            effort=prep.effort,
            focus=prep.request.focus,
            job_id=ctx.job_id,
            prompt_version=prompts.PROMPT_VERSION,
            policy=origin,
            rules=used,
            incremental=plan.summary() if plan is not None else {},
            cost_cap=cap.to_dict(),
            **fields,
        )

    return build


def _again(
    prep: Prepared, inp: ReviewInput, ctx: JobContext, guide: rules.Rules, cap: budget.Cap, first: RunResult
) -> RunResult:
    """A second Claude run after ``first``, under what is left of the cap; its cost includes the first's."""
    spent = first.cost_usd or 0.0
    left = cap.left(spent)
    if left is not None and left <= 0:
        detail = f"over-budget: the cost cap of ${cap.usd:.2f} was spent (${spent:.4f}) before the retry"
        return replace(first, failure=FailureKind.OVER_BUDGET, failure_detail=detail, structured=None)
    run = _run_claude(prep, inp, ctx, guide, left)
    return replace(run, cost_usd=spent + (run.cost_usd or 0.0))


def _run_claude(
    prep: Prepared, inp: ReviewInput, ctx: JobContext, guide: rules.Rules, max_cost_usd: float | None
) -> RunResult:
    prompt = prompts.render(
        prep.request.mode,
        target_label=prep.target.label,
        review_input=inp.context,
        focus=prep.request.focus,
        rules=guide.text,
    )
    spec = RunSpec(
        prompt=prompt,
        cwd=str(prep.target.repo_root),
        mode=Mode.REVIEW,
        model=prep.model,
        effort=prep.effort,
        max_turns=prep.settings.max_turns,
        timeout=prep.settings.timeout,
        json_schema=prompts.schema(),
        persist_session=prep.request.persist_session,
        max_cost_usd=max_cost_usd,
    )
    ctx.on_phase("reviewing")
    return run_claude(spec, ctx)


def _failed(
    prep: Prepared,
    base: Callable[..., ReviewOutcome],
    failure: ClaudeFailure,
    run: RunResult,
    seen: coverage.Coverage | None = None,
) -> ReviewOutcome:
    error = ReviewError(failure.kind.value, failure.message, failure.fix)
    return base(
        gate=gate.error(f"could not review: {error.line()}", prep.policy),
        error=error,
        coverage=seen,
        session_id=run.session_id,
        usage=run.usage,
        cost_usd=run.cost_usd,
    )


def _finish(
    prep: Prepared,
    base: Callable[..., ReviewOutcome],
    result: ReviewResult,
    stored: dict[str, Any],
    *,
    cached: bool,
    marked: tuple[Finding, ...],
    plan: increment.Plan,
    cache: Cache,
) -> ReviewOutcome:
    whole = increment.merged(result, plan.carried, plan.since)  # the gate is over the whole change
    result = _judged(prep, prep.hooks.filter_findings(whole), marked)
    increment.remember(prep, cache, result, marked)
    run = stored.get("run", {})
    return base(
        gate=gate.decide(result, prep.policy),
        review=result,
        coverage=coverage.Coverage.from_dict(stored["coverage"]),
        session_id=run.get("session_id"),
        session_persisted=bool(run.get("session_id")) and prep.request.persist_session,
        cached=cached,
        reused=_reused(stored) if cached else {},
        usage={} if cached else run.get("usage", {}),
        cost_usd=0.0 if cached else run.get("cost_usd"),
    )


def _reused(entry: dict[str, Any]) -> dict[str, Any]:
    """Which job's result a hit reuses and when that job stored it (None for an entry older than this)."""
    at = entry.get("at")
    job_id = entry.get("job_id")
    return {
        "job_id": job_id if isinstance(job_id, str) else None,
        "at": float(at) if isinstance(at, (int, float)) and not isinstance(at, bool) else None,
    }


def _judged(prep: Prepared, result: ReviewResult, marked: tuple[Finding, ...]) -> ReviewResult:
    """The findings with the policy-edit ones added (after plugins: no filter can drop them), waivers applied."""
    added = replace(result, findings=result.findings + marked) if marked else result
    return suppress.apply(added, prep.trusted.waivers)


def _nothing(
    prep: Prepared, base: Callable[..., ReviewOutcome], marked: tuple[Finding, ...], inp: ReviewInput
) -> ReviewOutcome:
    """Nothing to review; an edit of a policy file (one the policy excludes, say) is still reported and can fail.

    A change whose every path is excluded, or generated, vendored or a lock file, is not called "no changes"."""
    nothing = gate.nothing(_nothing_reason(prep.target.label, inp.excluded, inp.not_reviewed), prep.policy)
    if not marked:
        return base(gate=nothing)
    result = _judged(prep, ReviewResult(Verdict.NEEDS_ATTENTION, "Only the review policy changed.", ()), marked)
    decided = gate.decide(result, prep.policy)
    return base(gate=decided if decided.status is gate.GateStatus.FAIL else nothing, review=result)


def _nothing_reason(label: str, excluded: int, left_out: Mapping[str, str]) -> str:
    if not (excluded or left_out):
        return f"nothing to review: {label} has no changes"
    if not left_out:
        return f"nothing to review: the {excluded} changed path(s) of the {label} are all excluded"
    kinds = "generated/vendored/lock"
    also = f"{excluded} excluded, " if excluded else ""
    total = excluded + len(left_out)
    return f"nothing to review: the {total} changed path(s) of the {label} are all {also}not reviewed as {kinds}"


def not_reviewed(prep: Prepared, error: ReviewError, job_id: str | None = None) -> ReviewOutcome:
    """The gate ERROR outcome of a review that did not run (no credentials, or a job that ended without one)."""
    return ReviewOutcome(
        mode=prep.request.mode,
        gate=gate.error(error.message, prep.policy),
        target=TargetSummary.of(prep.target),
        input=InputSummary(),
        model=prep.model,
        effort=prep.effort,
        error=error,
        focus=prep.request.focus,
        job_id=job_id,
        policy=prep.trusted.origin.to_dict(),
    )
