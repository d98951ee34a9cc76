"""The one way any surface runs a job: record it from a :class:`Spec`, then run it here or hand it to a worker.

``submit`` is the whole lifecycle of a new job; ``run_here`` runs one this process already created
(the pytest plugin creates its review at session start and runs it in a thread). A job run in the
foreground counts as viewed: its outcome is delivered by the caller, never announced as unread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ccplugin import config, paths
from ccplugin.jobs import background, runner
from ccplugin.jobs.store import Job, State, Store

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Spec:
    """A job to record, and the executor that runs it in this process."""

    kind: str
    workspace: str
    title: str
    request: dict[str, Any]
    model: str | None
    effort: str | None
    executor: runner.Executor
    keep: int = runner.DEFAULT_KEEP


class _Request(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class Prepared(Protocol):
    """What a prepared review or rescue offers its job: the request as asked, what runs it, and its title."""

    @property
    def request(self) -> _Request: ...
    @property
    def settings(self) -> config.Settings: ...
    @property
    def model(self) -> str: ...
    @property
    def effort(self) -> str | None: ...
    @property
    def title(self) -> str: ...


def spec_of(prep: Prepared, *, kind: str, workspace: str, executor: runner.Executor, title: str = "") -> Spec:
    """The job of a prepared request (its stored request is the request as asked, re-prepared by a worker)."""
    return Spec(
        kind=kind,
        workspace=workspace,
        title=title or prep.title,
        request=prep.request.to_dict(),
        model=prep.model,
        effort=prep.effort,
        executor=executor,
        keep=prep.settings.keep_jobs,
    )


def open_store(env: Mapping[str, str] | None = None) -> Store:
    return Store(Path(paths.state_root(os.environ if env is None else env)))


def create(store: Store, spec: Spec, owner: str | None, state: State = State.RUNNING) -> Job:
    """The job record of ``spec``: ``running`` when this process runs it, ``queued`` for a worker."""
    return store.create(
        kind=spec.kind,
        workspace=spec.workspace,
        owner=owner,
        title=spec.title,
        request=spec.request,
        model=spec.model,
        effort=spec.effort,
        state=state,
    )


def submit(
    store: Store,
    spec: Spec,
    owner: str | None,
    *,
    background: bool = False,
    env: Mapping[str, str],
    echo: Echo | None = None,
) -> Job:
    """Record ``spec`` and run it: here to its end (the finished job), or queued for a detached worker."""
    if background:
        return detach(store, create(store, spec, owner, State.QUEUED), env)
    return run_here(store, create(store, spec, owner), spec, env, echo)


def run_here(
    store: Store, job: Job, spec: Spec, env: Mapping[str, str], echo: Echo | None = None, *, viewed: bool = True
) -> Job:
    """Run a job this process created ``running`` to its terminal state."""
    done = runner.run(store, job, spec.executor, env, echo, spec.keep)
    if viewed:
        store.mark_viewed(done.id)
    return done


def detach(store: Store, job: Job, env: Mapping[str, str]) -> Job:
    """Hand a queued job to a detached worker; the job as recorded with the worker's pid."""
    ident = background.start_worker(job.id, env, store.log_path(job.id))
    return store.update(job.id, pid=ident.pid, pid_start=ident.start) or job
