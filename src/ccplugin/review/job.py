"""Reviews as tracked jobs: the job spec, the executor the job runner calls, and a tracked run's outcome."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from ccplugin.jobs import service
from ccplugin.jobs.context import executor_of
from ccplugin.jobs.runner import Cancel, Executor, JobEnd, Progress
from ccplugin.jobs.store import Job, Store
from ccplugin.review import engine
from ccplugin.review.outcome import ReviewError, ReviewOutcome


def execute(job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]) -> JobEnd:
    """The worker's executor: prepare from the stored request, then run."""
    prep = engine.prepare(engine.ReviewRequest.from_dict(job.request))
    return executor(prep)(job, store, cancel, progress, env)


def executor(prep: engine.Prepared) -> Executor:
    """The foreground executor: the request was prepared (and validated) before the job existed."""
    return executor_of(functools.partial(engine.execute, prep))


def spec(prep: engine.Prepared, *, kind: str | None = None, title: str = "") -> service.Spec:
    """The job of a prepared review (a ``review`` or ``adversarial-review`` unless ``kind`` says otherwise)."""
    workspace = str(prep.target.repo_root)
    return service.spec_of(
        prep, kind=kind or prep.request.mode, workspace=workspace, executor=executor(prep), title=title
    )


def run_tracked(
    prep: engine.Prepared,
    store: Store,
    owner: str | None,
    env: Mapping[str, str],
    echo: service.Echo | None = None,
) -> ReviewOutcome:
    """Run the review as a job in this process; always an outcome (a job that ended without one is an ERROR)."""
    return outcome_of(prep, service.submit(store, spec(prep), owner, env=env, echo=echo))


def outcome_of(prep: engine.Prepared, job: Job) -> ReviewOutcome:
    """The finished job's outcome, or the gate ERROR of a job that ended without one."""
    if job.result is None:
        return not_reviewed(prep, job.error or f"job {job.state.value}", job.id)
    return ReviewOutcome.from_dict(job.result)


def not_reviewed(prep: engine.Prepared, reason: str, job_id: str | None) -> ReviewOutcome:
    """The gate ERROR outcome of a review job that ended without an outcome."""
    return engine.not_reviewed(prep, ReviewError("job-failed", f"could not review: {reason}"), job_id)
