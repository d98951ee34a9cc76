"""Reviews as tracked jobs: the executor the job runner calls."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from ccplugin.jobs.context import executor_of
from ccplugin.jobs.runner import Cancel, Executor, JobEnd, Progress
from ccplugin.jobs.store import Job, Store
from ccplugin.review import engine


def execute(job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]) -> JobEnd:
    """The worker's executor: prepare from the stored request, then run."""
    prep = engine.prepare(engine.ReviewRequest.from_dict(job.request))
    return executor(prep)(job, store, cancel, progress, env)


def executor(prep: engine.Prepared) -> Executor:
    """The foreground executor: the request was prepared (and validated) before the job existed."""
    return executor_of(functools.partial(engine.execute, prep))
