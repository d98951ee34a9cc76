"""What every command resolves the same way: the store, the workspace, the owner; how a job is run."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ccplugin import config, output
from ccplugin.cli import render
from ccplugin.errors import CCError, Exit
from ccplugin.jobs import background, kinds, lifecycle, runner
from ccplugin.jobs.store import Job, State, Store, Unwritable

if TYPE_CHECKING:  # the engine is imported only by the commands that review
    from ccplugin.review.engine import Prepared


def open_store() -> Store:
    return Store(config.state_root())


def open_store_to_read() -> Store:
    """The store for a command that only reads it: read-only where this process may not write it
    (inside Codex's sandbox, whose writable folders leave out ``~/.local/state``)."""
    try:
        return open_store()
    except Unwritable:
        return Store(config.state_root(), readonly=True)


def here() -> str:
    return config.workspace(os.getcwd())


def owner() -> str | None:
    return config.owner_session()


def create_review_job(store: Store, prep: Prepared, state: State = State.RUNNING) -> Job:
    """The job record of a prepared review, owned by this session."""
    return store.create(
        kind=prep.request.mode,
        workspace=str(prep.target.repo_root),
        owner=owner(),
        title=prep.title,
        request=prep.request.to_dict(),
        model=prep.model,
        effort=prep.effort,
        state=state,
    )


def run_here(store: Store, job: Job, executor: runner.Executor, keep: int) -> Job:
    """Run a job created ``running`` by this process, in the foreground; it counts as viewed."""
    job = runner.run(store, job, executor, os.environ, output.progress, keep)
    store.mark_viewed(job.id)
    return job


def detach(store: Store, job: Job, as_json: bool) -> int:
    """Hand a queued job to a detached worker and say how to follow it."""
    ident = background.start_worker(job.id, os.environ, store.log_path(job.id))
    store.update(job.id, pid=ident.pid, pid_start=ident.start)
    if as_json:
        output.json_out({"job_id": job.id, "state": "queued", "kind": job.kind, "title": job.title})
    else:
        output.line(f"{job.title}: started in the background as {job.id}.")
        output.line(f"Check progress with `ccplugin status {job.id}`; open it with `ccplugin result {job.id}`.")
    return Exit.OK


# -- reservations: a Codex subagent runs a job its parent session reserved ------------------


def reserve(store: Store, kind: str) -> Job:
    """A queued job with no worker, owned by this session, for a later ``--job-id`` run to claim.

    Unclaimed reservations are failed by the store's reaper (``Store.unclaimed``)."""
    return store.create(
        kind=kind,
        workspace=here(),
        owner=owner(),
        title=f"{kinds.info(kind).title} (reserved, waiting for its Codex subagent)",
        request={"reserved": True},
        model=None,
        effort=None,
    )


def check_reservation(store: Store, job_id: str, kind: str) -> Job:
    """The reservation ``job_id``, if this session may run it as a ``kind`` job; else a CCError."""
    job = store.get(job_id)
    fix = f"reserve a new one: `ccplugin reserve --kind {kind}`"
    if job.kind != kind:
        raise CCError(f"job {job_id} was reserved for a {job.kind} job, not a {kind}", fix)
    if job.owner != owner():
        raise CCError(f"job {job_id} belongs to another Codex session ({job.owner or 'none'})", fix)
    if job.state is not State.QUEUED or job.pid is not None:
        raise CCError(f"job {job_id} is not a waiting reservation (it is {job.state.value})", fix, Exit.USAGE)
    return job


def claim_reserved(
    store: Store,
    reserved: Job,
    *,
    workspace: str,
    title: str,
    request: dict[str, Any],
    model: str | None,
    effort: str | None,
) -> Job:
    """Become the worker of a checked reservation (CAS queued → running) and record what runs."""
    if os.path.realpath(workspace) != reserved.workspace:
        error = CCError(
            f"job {reserved.id} was reserved for {reserved.workspace}, not {workspace}",
            "run the command from the workspace that reserved it",
        )
        fail_reserved(store, reserved.id, error)
        raise error
    job = lifecycle.claim(store, reserved.id, runner.own_identity())
    if job is None:
        state = store.get(reserved.id).state.value
        raise CCError(f"job {reserved.id} is no longer waiting (it is {state})", "reserve a new one", Exit.INTERRUPTED)
    updated = store.update(reserved.id, title=title, request=request, model=model, effort=effort)
    return updated or job


def fail_reserved(store: Store, job_id: str, error: CCError) -> None:
    """End a reservation whose run could not start, so nobody waits for it."""
    store.transition(job_id, [State.QUEUED], State.FAILED, error=error.line(), phase="failed")


@dataclass(frozen=True)
class Reservable:
    """What a reserved job runs, once its request is prepared."""

    workspace: str
    title: str
    request: dict[str, Any]
    model: str | None
    effort: str | None
    executor: runner.Executor
    keep: int


def run_reserved(job_id: str, kind: str, label: str, prepare: Callable[[Store], Reservable], as_json: bool) -> int:
    """Run, in the foreground, the job a Codex session reserved; it stays unread for its owner.

    A run that cannot start ends the reservation, so nobody waits for it.
    """
    store = open_store()
    reserved = check_reservation(store, job_id, kind)
    try:
        ready = prepare(store)
    except CCError as e:
        fail_reserved(store, job_id, e)
        raise
    job = claim_reserved(
        store,
        reserved,
        workspace=ready.workspace,
        title=ready.title,
        request=ready.request,
        model=ready.model,
        effort=ready.effort,
    )
    job = runner.run(store, job, ready.executor, os.environ, output.progress, ready.keep)
    code = render.show(job, as_json)
    if not as_json:  # the line the subagent hands back to its parent
        output.line(f"\nBackground Claude Code {label} finished. Open it with $cc:result {job.id}.")
    return code
