"""Start a detached worker process for a queued job."""

from __future__ import annotations

import os
import shlex
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from ccplugin import proc
from ccplugin.errors import CCError, Exit
from ccplugin.jobs import private
from ccplugin.jobs.ids import check_job_id


def start_worker(job_id: str, env: Mapping[str, str], log: Path) -> proc.Identity:
    """Run ``python -m ccplugin worker <job_id>`` in its own session, stdin closed and
    stdout/stderr appended to ``log``; return its identity for the store to record.

    The worker must claim the job (``lifecycle.claim``) before doing anything, so a job
    cancelled while queued never runs.
    """
    argv = [sys.executable, "-m", "ccplugin", "worker", check_job_id(job_id)]
    try:
        fd = private.open_file(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    except OSError as e:
        raise CCError(f"cannot open job log {log} ({e.strerror})", "check `CCPLUGIN_HOME` is writable") from e
    try:
        child = proc.spawn(argv, env=env, stdout=fd, stderr=fd)
    finally:
        os.close(fd)
    # Reap it when it exits, so a long-lived parent keeps no zombie (and no warning).
    threading.Thread(target=child.wait, name=f"reap-{child.pid}", daemon=True).start()
    ident = proc.identity(child.pid)
    if ident is None:
        raise CCError(
            f"the worker for job {job_id} exited at once",
            f"read its log: `cat {shlex.quote(str(log))}`",
            Exit.NOT_REVIEWED,
        )
    return ident
