"""Reviews as tracked jobs: the executor the job runner calls."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from ccplugin.jobs.runner import Cancel, Executor, JobEnd, Progress
from ccplugin.jobs.store import Job, State, Store
from ccplugin.proc import Identity
from ccplugin.review import engine
from ccplugin.review.outcome import ReviewOutcome


def execute(job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]) -> JobEnd:
    """The worker's executor: prepare from the stored request, then run."""
    prep = engine.prepare(engine.ReviewRequest.from_dict(job.request))
    return run_prepared(prep, job, store, cancel, progress, env)


def executor(prep: engine.Prepared) -> Executor:
    """The foreground executor: the request was prepared (and validated) before the job existed."""
    return functools.partial(run_prepared, prep)


def run_prepared(
    prep: engine.Prepared, job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]
) -> JobEnd:
    ctx = engine.JobContext(
        env=env,
        state_root=store.root,
        job_id=job.id,
        on_phase=progress.phase,
        on_spawn=lambda ident: _note_claude(store, job.id, ident),
        cancelled=cancel,
    )
    return end_of(engine.execute(prep, ctx))


def end_of(outcome: ReviewOutcome) -> JobEnd:
    state = State.COMPLETED
    if outcome.error is not None:
        state = State.CANCELLED if outcome.error.kind == "cancelled" else State.FAILED
    return JobEnd(
        state=state,
        result=outcome.to_dict(),
        error=outcome.error.line() if outcome.error else None,
        claude_session=outcome.session_id,
        usage=outcome.usage,
        cost_usd=outcome.cost_usd,
    )


def _note_claude(store: Store, job_id: str, ident: Identity) -> None:
    store.append_log(job_id, f"claude started (pid {ident.pid})")
