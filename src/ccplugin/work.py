"""Job kinds and the executors that run them."""

from __future__ import annotations

from ccplugin.errors import CCError
from ccplugin.jobs.kinds import Kind
from ccplugin.jobs.runner import Executor
from ccplugin.rescue import job as rescue_job
from ccplugin.review import job as review_job

EXECUTORS: dict[str, Executor] = {
    Kind.REVIEW: review_job.execute,
    Kind.ADVERSARIAL_REVIEW: review_job.execute,
    Kind.RESCUE: rescue_job.execute_job,
}


def executor_for(kind: str) -> Executor:
    try:
        return EXECUTORS[kind]
    except KeyError:
        raise CCError(f"no executor for job kind {kind!r}", "upgrade ccplugin") from None
