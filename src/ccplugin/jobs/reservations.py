"""Reservations: a Codex session reserves a queued job with no worker; its subagent later claims and runs it.

Unclaimed reservations are failed by the store's reaper (``Store.unclaimed``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from ccplugin.errors import CCError, Exit
from ccplugin.jobs import kinds, lifecycle, runner, service
from ccplugin.jobs.store import Job, State, Store


def reserve(store: Store, kind: str, workspace: str, owner: str | None) -> Job:
    """A queued job with no worker, owned by ``owner``, for a later ``--job-id`` run to claim."""
    return store.create(
        kind=kind,
        workspace=workspace,
        owner=owner,
        title=f"{kinds.info(kind).title} (reserved, waiting for its Codex subagent)",
        request={"reserved": True},
        model=None,
        effort=None,
    )


def check(store: Store, job_id: str, kind: str, owner: str | None) -> Job:
    """The reservation ``job_id``, if ``owner`` may run it as a ``kind`` job; else a CCError."""
    job = store.get(job_id)
    fix = f"reserve a new one: `ccplugin reserve --kind {kind}`"
    if job.kind != kind:
        raise CCError(f"job {job_id} was reserved for a {job.kind} job, not a {kind}", fix)
    if job.owner != owner:
        raise CCError(f"job {job_id} belongs to another Codex session ({job.owner or 'none'})", fix)
    if job.state is not State.QUEUED or job.pid is not None:
        raise CCError(f"job {job_id} is not a waiting reservation (it is {job.state.value})", fix, Exit.USAGE)
    return job


def claim(store: Store, reserved: Job, spec: service.Spec) -> Job:
    """Become the worker of a checked reservation (CAS queued → running) and record what runs."""
    if os.path.realpath(spec.workspace) != reserved.workspace:
        error = CCError(
            f"job {reserved.id} was reserved for {reserved.workspace}, not {spec.workspace}",
            "run the command from the workspace that reserved it",
        )
        fail(store, reserved.id, error)
        raise error
    job = lifecycle.claim(store, reserved.id, runner.own_identity())
    if job is None:
        state = store.get(reserved.id).state.value
        raise CCError(f"job {reserved.id} is no longer waiting (it is {state})", "reserve a new one", Exit.INTERRUPTED)
    fields = {"title": spec.title, "request": spec.request, "model": spec.model, "effort": spec.effort}
    return store.update(reserved.id, **fields) or job


def fail(store: Store, job_id: str, error: CCError) -> None:
    """End a reservation whose run could not start, so nobody waits for it."""
    store.transition(job_id, [State.QUEUED], State.FAILED, error=error.line(), phase="failed")


def run_reserved(
    store: Store,
    job_id: str,
    kind: str,
    owner: str | None,
    prepare: Callable[[Store], service.Spec],
    env: Mapping[str, str],
    echo: service.Echo | None = None,
) -> Job:
    """Run, in this process, the job a Codex session reserved; it stays unread for its owner.

    A run that cannot start ends the reservation, so nobody waits for it.
    """
    reserved = check(store, job_id, kind, owner)
    try:
        spec = prepare(store)
    except CCError as e:
        fail(store, job_id, e)
        raise
    job = claim(store, reserved, spec)
    return service.run_here(store, job, spec, env, echo, viewed=False)
