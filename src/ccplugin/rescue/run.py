"""One rescue run: Claude on the task, and the files the work tree changed meanwhile."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ccplugin import tree
from ccplugin.claude import runner
from ccplugin.claude.types import ClaudeFailure, Mode, RunResult, RunSpec
from ccplugin.jobs.context import JobContext, run_claude
from ccplugin.rescue.outcome import RescueOutcome
from ccplugin.rescue.prompt import render_prompt
from ccplugin.rescue.request import Prepared
from ccplugin.review.outcome import ReviewError as RunError

MAX_PATHS = 20_000  # beyond this many dirty paths the rest are not tracked (and the outcome says so)


def execute(prep: Prepared, ctx: JobContext) -> RescueOutcome:
    """Run Claude on the task; a Claude failure or a cancel is an outcome, never an exception."""
    ctx.on_phase("recording the work tree")
    before = _tree(prep.workspace, ctx.env)
    try:
        run = _run_claude(prep, ctx)
        error = None if run.ok else _error(runner.failure_error(run))
    except ClaudeFailure as e:  # claude missing, or no network inside Codex's sandbox
        run, error = RunResult(exit_code=None), _error(e)
    except KeyboardInterrupt:  # ^C in the foreground: Claude is stopped already; report what it left
        run, error = RunResult(exit_code=None), RunError("cancelled", "interrupted (^C)")
    after = _tree(prep.workspace, ctx.env)
    return _outcome(prep, ctx, run, error, _changed(before, after))


def _run_claude(prep: Prepared, ctx: JobContext) -> RunResult:
    req = prep.request
    spec = RunSpec(
        prompt=render_prompt(req),
        cwd=str(prep.workspace),
        mode=Mode.RESCUE_WRITE if req.write else Mode.RESCUE_READ,
        model=prep.model,
        effort=prep.effort,
        max_turns=prep.settings.max_turns,
        timeout=prep.settings.timeout,
        resume=req.resume_session,
        persist_session=req.persist_session,
        run_tests=req.run_tests,
    )
    ctx.on_phase("continuing the Claude session" if req.resume_session else "working")
    return run_claude(spec, ctx)


def _tree(root: Path, env: Mapping[str, str]) -> tree.Snapshot | None:
    """The work tree now; None when it is not a git work tree or git broke (Claude's own edits are still reported)."""
    return tree.take(root, env, limit=MAX_PATHS)


def _changed(before: tree.Snapshot | None, after: tree.Snapshot | None) -> tuple[list[str], bool] | None:
    """The paths that changed between the two states and whether either was capped (None: unknown)."""
    if before is None or after is None:
        return None
    return after.changed_since(before), before.truncated or after.truncated


def _error(e: ClaudeFailure) -> RunError:
    return RunError(e.kind.value, e.message, e.fix)


def _outcome(
    prep: Prepared, ctx: JobContext, run: RunResult, error: RunError | None, changed: tuple[list[str], bool] | None
) -> RescueOutcome:
    req = prep.request
    return RescueOutcome(
        task=req.task,
        write=req.write,
        model=prep.model,
        effort=prep.effort,
        decision=req.decision or "fresh",
        job_id=ctx.job_id,
        resumed_session=req.resume_session,
        resumed_job=req.resume_job,
        resume_candidate=req.candidate,
        text=run.text,
        files_by_claude=run.files_touched if req.write else (),
        files_in_git=tuple(changed[0]) if changed else None,
        git_truncated=bool(changed and changed[1]),
        session_id=run.session_id,
        session_persisted=bool(run.session_id) and prep.request.persist_session,
        error=error,
        usage=run.usage,
        cost_usd=run.cost_usd,
        num_turns=run.num_turns,
        duration_s=run.duration_s,
        denials=run.denials,
    )
