"""Run one tracked job to its terminal state, in this process (foreground or worker)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ccplugin import proc
from ccplugin.errors import CCError
from ccplugin.jobs.store import HEARTBEAT, Job, State, Store

DEFAULT_KEEP = 200  # finished jobs kept per workspace ([tool.ccplugin] keep_jobs)
WATCH = 0.5  # seconds between a running job's looks at its own record (a cancel request)


@dataclass(frozen=True)
class JobEnd:
    """What an executor hands back: the terminal state and what to store with it."""

    state: State
    result: dict[str, Any] | None
    error: str | None = None
    claude_session: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    cost_usd: float | None = None


@dataclass
class Progress:
    """Phase updates for the job record (and, in the foreground, for stderr)."""

    store: Store
    job_id: str
    echo: Callable[[str], None] | None = None
    _last: str = ""

    def phase(self, text: str) -> None:
        if text == self._last:
            return
        self._last = text
        self.store.update(self.job_id, phase=text[:200])
        self.store.append_log(self.job_id, text)
        if self.echo:
            self.echo(text)


Executor = Callable[[Job, Store, "Cancel", Progress, Mapping[str, str]], JobEnd]


class Cancel:
    """Set when this process receives SIGTERM, or when its job's record turns ``cancelling``.

    The record is how `ccplugin cancel` reaches a worker it must not signal: one whose pid it
    cannot see, from another PID namespace (a command in Codex's sandbox).
    """

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self) -> bool:
        return self.event.is_set()


@contextmanager
def _watched(store: Store, job_id: str, cancel: Cancel) -> Iterator[None]:
    """While the job runs: set ``cancel`` once its record is ``cancelling``, and send the heartbeat
    (``Store.beat``) by which readers in another PID namespace know the worker lives."""
    stop = threading.Event()

    def watch() -> None:
        beaten = time.monotonic()
        while not stop.wait(WATCH):
            try:
                if store.get(job_id).state is State.CANCELLING:
                    cancel.event.set()
                if time.monotonic() - beaten >= HEARTBEAT:
                    store.beat(job_id)
                    beaten = time.monotonic()
            except CCError:  # busy or gone for a moment: look again next time
                continue

    thread = threading.Thread(target=watch, name=f"watch-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run(
    store: Store,
    job: Job,
    executor: Executor,
    env: Mapping[str, str],
    echo: Callable[[str], None] | None = None,
    keep: int = DEFAULT_KEEP,
) -> Job:
    """Execute a job already in ``running``, record how it ended (compare-and-set), prune old jobs."""
    cancel = Cancel()
    progress = Progress(store, job.id, echo)
    with proc.on_sigterm(cancel.event.set), _watched(store, job.id, cancel):
        try:
            end = executor(job, store, cancel, progress, env)
        except CCError as e:
            end = JobEnd(State.FAILED, None, e.line())
        except KeyboardInterrupt:  # ^C in the foreground: the job ends cancelled, not "abandoned"
            _record(store, job, JobEnd(State.CANCELLED, None, "interrupted (^C)"))
            raise
    if cancel() and end.state is not State.COMPLETED:
        end = JobEnd(
            State.CANCELLED,
            end.result,
            "cancelled by user",
            end.claude_session,
            end.usage,
            end.cost_usd,
        )
    finished = _record(store, job, end)
    store.prune(job.workspace, keep)
    return finished


def _record(store: Store, job: Job, end: JobEnd) -> Job:
    fields = {
        "result": end.result,
        "error": end.error,
        "claude_session": end.claude_session,
        "usage": end.usage,
        "cost_usd": end.cost_usd,
        "finished_at": time.time(),
        "phase": end.state.value,
    }
    live = (State.RUNNING, State.CANCELLING)
    new = State.CANCELLED if end.state is State.CANCELLED else end.state
    done = store.transition(job.id, live, new, **fields)
    if done is None:  # a cancel won the race: its terminal state stands
        return store.get(job.id)
    store.append_log(job.id, f"finished: {new.value}" + (f" ({end.error})" if end.error else ""))
    return done


def own_identity() -> proc.Identity:
    ident = proc.identity(os.getpid())
    if ident is None:  # pragma: no cover (/proc is always there on Linux)
        raise CCError("cannot read this process's start time from /proc", "run on Linux with /proc mounted")
    return ident
