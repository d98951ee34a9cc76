"""What an engine (review, rescue) needs from the job it runs in, and how its outcome ends the job."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ccplugin import credentials, redact
from ccplugin.claude import env as claude_env
from ccplugin.claude import runner
from ccplugin.claude.types import Event, RunResult, RunSpec
from ccplugin.jobs.runner import Cancel, Executor, JobEnd, Progress
from ccplugin.jobs.store import Job, State, Store
from ccplugin.proc import Identity


@dataclass
class JobContext:
    """How a running engine talks back to its job (progress, cancel, process identity)."""

    env: Mapping[str, str]
    state_root: Path
    job_id: str | None = None
    on_phase: Callable[[str], None] = lambda _phase: None
    on_spawn: Callable[[Identity], None] = lambda _ident: None
    cancelled: Callable[[], bool] = lambda: False
    extra: dict[str, Any] = field(default_factory=dict)


def context_for(job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]) -> JobContext:
    """The context of ``job`` run by the job runner (foreground or worker)."""
    return JobContext(
        env=env,
        state_root=store.root,
        job_id=job.id,
        on_phase=progress.phase,
        on_spawn=lambda ident: store.append_log(job.id, f"claude started (pid {ident.pid})"),
        cancelled=cancel,
    )


def run_claude(spec: RunSpec, ctx: JobContext) -> RunResult:
    """Run Claude for a job: fail fast without network, report phases, stop on cancel.

    Raises ``ClaudeFailure`` only when there is no `claude` or no network; every other
    failure is in the returned result. The runner gets the job's whole environment: it scrubs
    it for Claude, and masks its secrets, and the credentials in the repository's git config,
    in everything the run leaves (see ``ccplugin.redact``).
    """
    claude_env.check_sandbox_network(ctx.env)
    binary = claude_env.find_binary(ctx.env)
    redact.remember(credentials.in_git_config(Path(spec.cwd), ctx.env))
    return runner.run(
        spec,
        env=ctx.env,
        binary=binary,
        on_event=lambda e: phase_of(e, ctx),
        on_spawn=ctx.on_spawn,
        cancel_check=ctx.cancelled,
    )


def phase_of(event: Event, ctx: JobContext) -> None:
    """Turn a Claude stream event into a progress phase."""
    if event.kind == "tool":
        ctx.on_phase(f"tool: {event.message}")
    elif event.kind == "retry":
        ctx.on_phase(f"retrying: {event.message}")
    elif event.kind == "result":
        ctx.on_phase("finalizing")


class RunErrorLike(Protocol):
    @property
    def kind(self) -> str: ...

    def line(self) -> str: ...


class Outcome(Protocol):
    """What every engine outcome offers the job record."""

    @property
    def error(self) -> RunErrorLike | None: ...
    @property
    def session_id(self) -> str | None: ...
    @property
    def usage(self) -> dict[str, Any]: ...
    @property
    def cost_usd(self) -> float | None: ...

    def to_dict(self) -> dict[str, Any]: ...


def executor_of(run: Callable[[JobContext], Outcome]) -> Executor:
    """The executor that runs ``run`` in its job's context and ends the job with its outcome."""

    def execute(job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]) -> JobEnd:
        return end_of(run(context_for(job, store, cancel, progress, env)))

    return execute


def end_of(outcome: Outcome) -> JobEnd:
    """Completed without an error; cancelled for a cancel; failed for anything else."""
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
