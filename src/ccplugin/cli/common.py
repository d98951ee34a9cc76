"""What every command resolves the same way: the store, the workspace, the owner."""

from __future__ import annotations

import os
import time

from ccplugin import config
from ccplugin.jobs import runner
from ccplugin.jobs.store import Job, Store


def open_store() -> Store:
    return Store(config.state_root())


def here() -> str:
    return config.workspace(os.getcwd())


def owner() -> str | None:
    return config.owner_session()


def adopt(store: Store, job: Job) -> Job:
    """Record this process as the job's worker (foreground runs)."""
    me = runner.own_identity()
    updated = store.update(job.id, pid=me.pid, pid_start=me.start, started_at=time.time())
    return updated or job
