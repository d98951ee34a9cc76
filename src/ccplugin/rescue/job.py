"""A rescue as a tracked job: its spec, the executors the job runner calls, and a tracked run's outcome."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from ccplugin.jobs import service
from ccplugin.jobs.context import executor_of
from ccplugin.jobs.runner import Cancel, Executor, JobEnd, Progress
from ccplugin.jobs.store import Job, Store
from ccplugin.rescue.outcome import RescueOutcome
from ccplugin.rescue.request import KIND, Prepared, RescueRequest, prepare
from ccplugin.rescue.resume import Ask, Scope, settle
from ccplugin.rescue.run import execute
from ccplugin.review.outcome import ReviewError as RunError


def settled(store: Store, request: RescueRequest, owner: str | None, ask: Ask | None = None) -> Prepared:
    """The request prepared and its resume question settled, in the scope of ``owner``'s workspace."""
    prep = prepare(request)
    return settle(prep, store, Scope(str(prep.workspace), owner), ask)


def spec(prep: Prepared) -> service.Spec:
    """The job of a settled rescue."""
    return service.spec_of(prep, kind=KIND, workspace=str(prep.workspace), executor=executor(prep))


def run_tracked(
    prep: Prepared, store: Store, owner: str | None, env: Mapping[str, str], echo: service.Echo | None = None
) -> RescueOutcome:
    """Run the settled rescue as a job in this process; always an outcome (a job that ended without one failed)."""
    return outcome_of(prep, service.submit(store, spec(prep), owner, env=env, echo=echo))


def outcome_of(prep: Prepared, job: Job) -> RescueOutcome:
    """The finished job's outcome, or a failed one naming why the job ended without one."""
    if job.result is not None:
        return RescueOutcome.from_dict(job.result)
    reason = f"the rescue job ended without a result ({job.error or job.state.value})"
    req = prep.request
    error = RunError("job-failed", reason)
    return RescueOutcome(req.task, req.write, prep.model, prep.effort, req.decision or "fresh", job.id, error=error)


def execute_job(job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]) -> JobEnd:
    """The worker's executor: the stored request already carries the resume decision."""
    return executor(prepare(RescueRequest.from_dict(job.request)))(job, store, cancel, progress, env)


def executor(prep: Prepared) -> Executor:
    """The foreground executor for a request prepared (and settled) before the job existed."""
    return executor_of(functools.partial(execute, prep))
