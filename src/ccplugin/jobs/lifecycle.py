"""Moving jobs through their life: claim by a worker, cancel, reap abandoned ones.

Signals only ever reach a process whose pid *and* kernel start time match what the
store recorded, in the PID namespace it was recorded in, so a recycled pid, or one that names
another process in this namespace, is never hit. A worker in another namespace is asked to stop
through its record (it watches for ``cancelling``, see ``runner.Cancel``).
"""

from __future__ import annotations

import os
import time

from ccplugin import proc
from ccplugin.errors import CCError, Exit
from ccplugin.jobs.store import CANCELLED_BY_USER, TERMINAL, Job, State, Store, worker_visible

KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
STOP_WAIT = 20.0  # seconds a cancel waits for a worker in another PID namespace to stop itself


def reap_if_abandoned(store: Store, job: Job) -> Job:
    """``job``, or its failed (cancelled, if cancelling) successor when its worker is gone."""
    return store.reap(job)


def claim(store: Store, job_id: str, ident: proc.Identity) -> Job | None:
    """Take a queued job for the worker ``ident``: CAS ``queued → running``.

    None means the job is no longer queued (cancelled, claimed or reaped): do not run it.
    """
    return store.transition(
        job_id,
        [State.QUEUED],
        State.RUNNING,
        pid=ident.pid,
        pid_start=ident.start,
        started_at=time.time(),
        phase="starting",
    )


def cancel(store: Store, job_id: str, grace: float = KILL_GRACE) -> Job:
    """Cancel a live job and return it finished (normally ``cancelled``).

    A queued job is cancelled at once, so no worker can claim it later. A running job
    goes ``cancelling``, its worker is stopped (identity checked; SIGKILL ``grace`` seconds
    after SIGTERM), then ``cancelled``. A finished job is a usage error.
    """
    for _attempt in range(4):  # a state only moves forward, so this settles quickly
        job = store.get(job_id)
        if job.state in TERMINAL:
            raise CCError(
                f"job {job_id} is already {job.state}",
                f"see it with `ccplugin result {job_id}`",
                Exit.USAGE,
            )
        if job.state is State.QUEUED:
            done = store.transition(job_id, [State.QUEUED], State.CANCELLED, error=CANCELLED_BY_USER)
            if done is not None:
                _stop_worker(done, grace)  # it can no longer claim the job; do not leave it waiting
                store.append_log(job_id, CANCELLED_BY_USER)
                return done
            continue
        stopping = store.transition(job_id, [State.RUNNING, State.CANCELLING], State.CANCELLING)
        if stopping is not None:
            return _finish_cancel(store, stopping, grace)
    return store.get(job_id)


def _finish_cancel(store: Store, job: Job, grace: float) -> Job:
    if not worker_visible(job):
        return _await_stop(store, job.id, STOP_WAIT)
    note = _stop_worker(job, grace)
    error = f"{CANCELLED_BY_USER}; {note}" if note else CANCELLED_BY_USER
    done = store.transition(job.id, [State.CANCELLING], State.CANCELLED, error=error)
    store.append_log(job.id, error)
    # None: a concurrent cancel or a reader's reap finished it first; show that outcome
    return done if done is not None else store.get(job.id)


def _await_stop(store: Store, job_id: str, timeout: float) -> Job:
    """The job once its worker has ended it after seeing ``cancelling``; still ``cancelling``
    after ``timeout`` (the caller says so; a reader reaps it once the heartbeat stops)."""
    deadline = time.monotonic() + timeout
    job = store.get(job_id)
    while job.state not in TERMINAL and time.monotonic() < deadline:
        time.sleep(0.2)
        job = store.get(job_id)
    return job


def _stop_worker(job: Job, grace: float) -> str | None:
    """Terminate the job's worker if it is still the recorded process.

    Returns a note when a process may be left running, else None. A worker in another PID
    namespace is never signalled: its pid may name a different process here.
    """
    if job.pid is None or job.pid == os.getpid() or not worker_visible(job):
        return None
    if job.pid_start is None:
        return f"worker {job.pid} has no recorded start time, so it was not signalled"
    ident = proc.Identity(job.pid, job.pid_start)
    if not ident.alive():
        return None
    if not proc.owned(ident.pid):  # a record that names another user's process: never ours to stop
        return f"worker {ident.pid} runs as another user, so it was not signalled"
    if _leads_group(ident.pid):
        gone, target = proc.stop(ident, grace), f"-{ident.pid}"
    else:  # e.g. a foreground worker inside the user's shell: signal it alone
        gone, target = proc.stop(ident, grace, group=False), str(ident.pid)
    return None if gone else f"worker {ident.pid} may still be running: `kill -9 {target}`"


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False
