"""Print a finished job of any kind and return its exit code (`result`, and foreground runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ccplugin import output
from ccplugin.errors import CCError, Exit
from ccplugin.jobs.kinds import Kind
from ccplugin.jobs.store import Job, State

T = TypeVar("T")


def show(job: Job, as_json: bool) -> int:
    """Print the job's stored outcome; a job that ended without one is an error line."""
    text, code = rendered(job, "json" if as_json else "markdown")
    output.write(text + ("\n" if as_json else ""))
    return code


def rendered(job: Job, fmt: str) -> tuple[str, int]:
    """The job's outcome as ``fmt`` (markdown or json), and the exit code it stands for."""
    if job.result is None:
        raise CCError(
            f"job {job.id} {job.state.value} without a result: {job.error or 'no detail'}",
            f"see `ccplugin status {job.id}`",
            Exit.INTERRUPTED if job.state is State.CANCELLED else Exit.NOT_REVIEWED,
        )
    return _rescue(job, fmt) if job.kind == Kind.RESCUE else _review(job, fmt)


def _review(job: Job, fmt: str) -> tuple[str, int]:
    # a measured seam: `status` imports this module; the reporters and both outcome types, which only a finished
    # job's result needs, would about double the imports of bench_cli.py's `ccplugin status`
    from ccplugin import plugins
    from ccplugin.review.outcome import ReviewOutcome

    outcome = stored(job, ReviewOutcome.from_dict)
    code = Exit.INTERRUPTED if job.state is State.CANCELLED else outcome.gate.exit_code
    return plugins.host().render(outcome, fmt), code


def _rescue(job: Job, fmt: str) -> tuple[str, int]:
    # the same seam as _review's (bench_cli.py)
    from ccplugin.report import rescue as report
    from ccplugin.rescue.outcome import RescueOutcome

    outcome = stored(job, RescueOutcome.from_dict)
    return report.render(outcome, fmt), outcome.exit_code


def stored(job: Job, read: Callable[[dict[str, Any]], T]) -> T:
    """The job's result read by ``read``; a record it cannot read is an error line, never a pass."""
    try:
        if not isinstance(job.result, dict):
            raise TypeError(f"the result is JSON {type(job.result).__name__}, not an object")
        return read(job.result)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CCError(
            f"job {job.id} has a result this version cannot read ({type(e).__name__}: {e})",
            f"re-run it; `ccplugin status {job.id}` shows what was recorded",
            Exit.NOT_REVIEWED,
        ) from e
